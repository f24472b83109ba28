import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readPlatform } from 'routing-model';
import { asArray, at, type K8sObject, type RenderedObject } from '../gitops/objects.ts';
import type { EchoReply } from './edge-echo.ts';
import type { KubeApi } from './kube-api.ts';
import { ECHO_H2C_PORT, ECHO_PORT, type TestHosts } from './test-hosts.ts';

/** Marks the EndpointSlices the probes write (the endpointslice controller leaves them alone). */
export const PROBE_MANAGER = 'canary-verify.pr-canary.dev';

/** `namespace/name` of a Service. */
export type ServiceKey = string;

const isService = (kind: string | undefined) => kind === undefined || kind === 'Service';

/** The Services the applied IngressRoutes send to, as `namespace/name`. */
export function edgeServices(applied: readonly RenderedObject[]): ServiceKey[] {
  const { ingressRoutes } = readPlatform(applied.map((o) => o.object));
  const keys = ingressRoutes.flatMap((i) =>
    i.routes.flatMap((r) =>
      r.services.filter((s) => isService(s.kind)).map((s) => `${s.namespace}/${s.name}`),
    ),
  );
  return [...new Set(keys)].sort();
}

/** The Services the applied GRPCRoutes and HTTPRoutes send to, as `namespace/name`. */
export function meshServices(applied: readonly RenderedObject[]): ServiceKey[] {
  const { gatewayRoutes } = readPlatform(applied.map((o) => o.object));
  const keys = gatewayRoutes.flatMap((g) =>
    g.rules.flatMap((r) =>
      r.backendRefs.filter((b) => isService(b.kind)).map((b) => `${b.namespace}/${b.name}`),
    ),
  );
  return [...new Set(keys)].sort();
}

/**
 * Gives every existing Service among `services` an address in the test hosts: an
 * EndpointSlice (owned by the Service, so it goes with it) whose one endpoint is that
 * address, on each of the Service's ports. Returns which address stands for which Service.
 * Services that do not exist get nothing (Traefik reports the route's error itself).
 */
export async function wireBackends(
  api: KubeApi,
  hosts: TestHosts,
  services: readonly ServiceKey[],
  addresses: Map<string, ServiceKey> = new Map(),
): Promise<Map<string, ServiceKey>> {
  const known = new Map([...addresses].map(([address, key]) => [key, address]));
  for (const key of services) {
    const [namespace = '', name = ''] = key.split('/');
    const service = await api.get('v1', 'Service', name, namespace);
    if (service === undefined) continue;
    const address = known.get(key) ?? (await hosts.allocate());
    known.set(key, address);
    addresses.set(address, key);
    const uid = String(at(service, 'metadata', 'uid'));
    const ports = asArray(at(service, 'spec', 'ports')).map((p) => ({
      // Traefik matches the slice's port to the Service's port by name.
      name: typeof at(p, 'name') === 'string' ? String(at(p, 'name')) : '',
      port: at(p, 'appProtocol') === 'kubernetes.io/h2c' ? ECHO_H2C_PORT : ECHO_PORT,
      protocol: 'TCP',
    }));
    const slice: K8sObject = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: `${name}-edge-probe`,
        namespace,
        labels: {
          'kubernetes.io/service-name': name,
          'endpointslice.kubernetes.io/managed-by': PROBE_MANAGER,
        },
        ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name, uid }],
      },
      addressType: 'IPv4',
      ports,
      endpoints: [{ addresses: [address], conditions: { ready: true, serving: true, terminating: false } }],
    } as K8sObject;
    await api.apply(slice);
  }
  return addresses;
}

export interface EdgeRequest {
  readonly port: number;
  readonly tls: boolean;
  readonly host: string;
  readonly path?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface EdgeAnswer {
  readonly status: number;
  /** The Service the request reached (by the echo's address), when it reached one. */
  readonly backend: ServiceKey | undefined;
  /** What the backend received (header names lower-cased). */
  readonly received: EchoReply['headers'] | undefined;
  readonly responseHeaders: Record<string, string | string[] | undefined>;
}

/** Sends one request to an entrypoint on 127.0.0.1 and reads which backend answered. */
export function sendThroughEdge(
  req: EdgeRequest,
  backends: ReadonlyMap<string, ServiceKey>,
): Promise<EdgeAnswer> {
  const options = {
    host: '127.0.0.1',
    port: req.port,
    path: req.path ?? '/v1/items',
    method: 'GET',
    headers: { host: req.host, ...req.headers },
    timeout: 5_000,
    agent: false as const,
    ...(req.tls ? { servername: req.host, rejectUnauthorized: false } : {}),
  };
  return new Promise((resolve, reject) => {
    const send = req.tls ? httpsRequest : httpRequest;
    const r = send(options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        let reply: EchoReply | undefined;
        if (res.headers['x-echo'] === '1')
          reply = JSON.parse(Buffer.concat(chunks).toString('utf8')) as EchoReply;
        resolve({
          status: res.statusCode ?? 0,
          backend:
            reply === undefined
              ? undefined
              : (backends.get(reply.address) ?? `unknown address ${reply.address}`),
          received: reply?.headers,
          responseHeaders: res.headers,
        });
      });
    });
    r.on('timeout', () => r.destroy(new Error(`no answer from 127.0.0.1:${req.port} in 5 s`)));
    r.on('error', reject);
    r.end();
  });
}
