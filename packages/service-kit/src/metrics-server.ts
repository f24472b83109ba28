import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServiceIdentity } from 'canary-context';
import { collectDefaultMetrics, Registry } from 'prom-client';

export interface MetricsEndpoint {
  readonly registry: Registry;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * A registry labelled with the serving instance's track, plus process metrics. The
 * `service` label comes from the scrape target: the Prometheus Operator sets it from the
 * Kubernetes Service (and the lab's Prometheus the same way), so a `service` label of the
 * application's own would be renamed `exported_service`.
 */
export function createRegistry(identity: Pick<ServiceIdentity, 'track'>): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ track: identity.track });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Serves `GET /metrics` on its own listener, apart from the service's traffic port. */
export async function startMetricsServer(
  registry: Registry,
  port: number,
  host: string,
): Promise<MetricsEndpoint> {
  const server: Server = createServer((request, response) => {
    if (request.method === 'GET' && request.url === '/metrics') {
      registry.metrics().then(
        (body) => {
          response.writeHead(200, { 'content-type': registry.contentType });
          response.end(body);
        },
        () => {
          response.writeHead(500).end();
        },
      );
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    registry,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
