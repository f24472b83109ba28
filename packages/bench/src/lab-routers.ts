// The lab's edge and mesh routers in a process of their own, for the router comparison:
// an internal entrypoint for api-service (X-Canary: 123 to a canary backend) and a mesh
// router for store-service (x-canary: 123 to a canary backend), the same header routing
// nginx does in nginx.ts. Canary backends resolve to the same processes as stable.
// STORE_ADDRESS names the store; prints {"event":"ready",...} with the ports; then reads
// the api's address (which needs the mesh port first) as one line on stdin.
import { createInterface } from 'node:readline';
import { repoRoot } from 'local-runtime/paths';
import { Routers } from 'local-runtime/routing';
import type { PlatformObject } from 'routing-model';
import { GUARDED_ENTRYPOINT } from 'routing-model/traefik';
import { loadCatalogue } from 'service-catalogue';
import { STORE_SERVICE_NAME } from 'store-contract';

export const BENCH_HOST = 'api.bench.example';

const objects: PlatformObject[] = [
  {
    apiVersion: 'traefik.io/v1alpha1',
    kind: 'IngressRoute',
    metadata: { name: 'api-service-internal', namespace: 'apps' },
    spec: {
      entryPoints: [GUARDED_ENTRYPOINT],
      routes: [
        {
          kind: 'Rule',
          match: `Host(\`${BENCH_HOST}\`)`,
          priority: 10,
          services: [{ name: 'api-service', namespace: 'apps', port: 8080 }],
        },
        {
          kind: 'Rule',
          match: `Host(\`${BENCH_HOST}\`) && Header(\`X-Canary\`, \`123\`)`,
          priority: 1000,
          services: [{ name: 'api-service', namespace: 'api-canary-pr-123', port: 8080 }],
        },
      ],
    },
  },
  {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'GRPCRoute',
    metadata: { name: 'store-service-canary-pr-123', namespace: 'apps' },
    spec: {
      parentRefs: [{ group: '', kind: 'Service', name: 'store-service', port: 8080 }],
      rules: [
        {
          matches: [
            { method: { service: STORE_SERVICE_NAME }, headers: [{ name: 'x-canary', value: '123' }] },
          ],
          backendRefs: [{ name: 'store-service', namespace: 'store-canary-pr-123', port: 8080 }],
        },
        { backendRefs: [{ name: 'store-service', namespace: 'apps', port: 8080 }] },
      ],
    },
  },
];

const addresses: Record<string, string | undefined> = { 'store-service': process.env.STORE_ADDRESS };

async function main(): Promise<void> {
  const routers = new Routers(loadCatalogue(repoRoot), (ref) => {
    const address = addresses[ref.name];
    return address === undefined ? { kind: 'down', reason: 'not started' } : { kind: 'up', address };
  });
  await routers.listenMesh(objects);
  await routers.listenEdge(objects, { [GUARDED_ENTRYPOINT]: 0 }, BENCH_HOST);
  process.stdout.write(
    `${JSON.stringify({ event: 'ready', port: routers.edgePorts[GUARDED_ENTRYPOINT], mesh_port: routers.meshPorts['store-service'] })}\n`,
  );
  createInterface({ input: process.stdin }).on('line', (line) => {
    addresses['api-service'] = line.trim();
  });
}

if (import.meta.main) await main();
