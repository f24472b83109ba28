// Route lookup: one routing decision of the lab's edge and mesh tables with 1, 100 and
// 1,000 canaries loaded.
import type { PlatformObject } from 'routing-model';
import { buildMeshTable, selectMeshRule } from 'routing-model/mesh';
import { buildEdgeTable, GUARDED_ENTRYPOINT, selectEdgeRoute } from 'routing-model/traefik';
import { STORE_SERVICE_NAME } from 'store-contract';

function objectsFor(n: number): PlatformObject[] {
  const objects: PlatformObject[] = [
    {
      apiVersion: 'traefik.io/v1alpha1',
      kind: 'IngressRoute',
      metadata: { name: 'stable', namespace: 'apps' },
      spec: {
        entryPoints: [GUARDED_ENTRYPOINT],
        routes: [
          {
            kind: 'Rule',
            match: 'Host(`api.example.com`)',
            priority: 10,
            services: [{ name: 'api-service', namespace: 'apps', port: 'http' }],
          },
        ],
      },
    },
  ];
  for (let pr = 1; pr <= n; pr += 1) {
    objects.push({
      apiVersion: 'traefik.io/v1alpha1',
      kind: 'IngressRoute',
      metadata: { name: `c${pr}`, namespace: 'apps' },
      spec: {
        entryPoints: [GUARDED_ENTRYPOINT],
        routes: [
          {
            kind: 'Rule',
            match: `Host(\`api.example.com\`) && Header(\`X-Canary\`, \`${pr}\`)`,
            priority: 1000,
            services: [{ name: 'api-service', namespace: `api-canary-pr-${pr}`, port: 'http' }],
          },
        ],
      },
    });
    objects.push({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'GRPCRoute',
      metadata: { name: `g${pr}`, namespace: 'apps' },
      spec: {
        parentRefs: [{ kind: 'Service', name: 'store-service' }],
        rules: [
          {
            matches: [
              {
                method: { service: STORE_SERVICE_NAME },
                headers: [{ name: 'x-canary', value: String(pr) }],
              },
            ],
            backendRefs: [{ name: 'store-service', namespace: `store-canary-pr-${pr}`, port: 8080 }],
          },
          { backendRefs: [{ name: 'store-service', namespace: 'apps', port: 8080 }] },
        ],
      },
    });
  }
  return objects;
}

/** Markdown rows: canaries loaded, µs per edge lookup, µs per mesh lookup. */
export function lookups(): string[] {
  const rows: string[] = [];
  for (const n of [1, 100, 1000]) {
    const objects = objectsFor(n);
    const edge = buildEdgeTable(objects);
    const mesh = buildMeshTable(objects);
    const request = { host: 'api.example.com', path: '/v1/items', headers: { 'x-canary': String(n) } };
    const call = { service: STORE_SERVICE_NAME, method: 'GetItem', headers: { 'x-canary': String(n) } };
    const time = (fn: () => unknown) => {
      const iterations = 20_000;
      const t0 = performance.now();
      for (let i = 0; i < iterations; i += 1) fn();
      return ((performance.now() - t0) * 1000) / iterations;
    };
    const edgeUs = time(() => selectEdgeRoute(edge, GUARDED_ENTRYPOINT, request));
    const meshUs = time(() => selectMeshRule(mesh, 'store-service.apps', call));
    rows.push(`| ${n} | ${edgeUs.toFixed(2)} µs | ${meshUs.toFixed(2)} µs |`);
  }
  return rows;
}
