import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PlatformObject } from '../src/index.ts';
import { buildMeshTable, selectMeshRule } from '../src/mesh.ts';
import { buildEdgeTable, parseRule, selectEdgeRoute } from '../src/traefik.ts';

const route = (
  name: string,
  match: string,
  namespace: string,
  extra: Record<string, unknown> = {},
): PlatformObject => ({
  apiVersion: 'traefik.io/v1alpha1',
  kind: 'IngressRoute',
  metadata: { name, namespace: 'apps' },
  spec: {
    entryPoints: ['internal'],
    routes: [{ kind: 'Rule', match, services: [{ name: 'api-service', namespace, port: 'http' }], ...extra }],
  },
});
const req = (headers: Record<string, string> = {}, host = 'api.example.com', path = '/v1/items') => ({
  host,
  path,
  headers,
});

describe('Traefik rule subset', () => {
  it('parses Host, PathPrefix, Path and Header joined by &&', () => {
    assert.deepEqual(parseRule('Host(`API.example.com`) && PathPrefix(`/v1`) && Header(`X-Canary`, `7`)'), [
      { kind: 'Host', host: 'api.example.com' },
      { kind: 'PathPrefix', prefix: '/v1' },
      { kind: 'Header', name: 'x-canary', value: '7' },
    ]);
  });

  it('refuses what it does not implement, naming the matcher', () => {
    assert.throws(() => parseRule('HostRegexp(`.*`)'), /matcher HostRegexp is not supported/);
    assert.throws(() => parseRule('Host(`a`) || Host(`b`)'), /only && of matchers/);
    assert.throws(() => parseRule('Headers(`X-Canary`, `1`)'), /matcher Headers is not supported/);
    assert.throws(() => parseRule('Header(`X-Canary`)'), /Header takes 2 argument/);
  });
});

describe('edge table', () => {
  const table = buildEdgeTable([
    route('stable', 'Host(`api.example.com`)', 'apps', { priority: 10 }),
    route('pr-123', 'Host(`api.example.com`) && Header(`X-Canary`, `123`)', 'api-canary-pr-123', {
      priority: 1000,
    }),
    route('no-priority', 'Host(`api.example.com`) && Header(`X-Canary`, `5`)', 'api-canary-pr-5'),
  ]);

  it('picks the highest priority matching route; default priority is the rule length', () => {
    assert.equal(
      selectEdgeRoute(table, 'internal', req({ 'x-canary': '123' }))?.backend.namespace,
      'api-canary-pr-123',
    );
    assert.equal(selectEdgeRoute(table, 'internal', req())?.backend.namespace, 'apps');
    assert.equal(selectEdgeRoute(table, 'internal', req({ 'x-canary': '999' }))?.backend.namespace, 'apps');
    // The rule's length beats the stable route's explicit 10.
    const rule = 'Host(`api.example.com`) && Header(`X-Canary`, `5`)';
    assert.equal(selectEdgeRoute(table, 'internal', req({ 'x-canary': '5' }))?.priority, rule.length);
    assert.equal(
      selectEdgeRoute(table, 'websecure', req({ 'x-canary': '123' })),
      undefined,
      'other entrypoint',
    );
    assert.equal(selectEdgeRoute(table, 'internal', req({}, 'other.example.com')), undefined);
  });

  it('matches header values exactly, as Traefik does', () => {
    assert.equal(selectEdgeRoute(table, 'internal', req({ 'x-canary': ' 123' }))?.backend.namespace, 'apps');
  });

  it('refuses unknown fields and unknown middlewares, naming object and field', () => {
    assert.throws(
      () => buildEdgeTable([route('x', 'Host(`a`)', 'apps', { sticky: true })]),
      /IngressRoute apps\/x spec\.routes\[0\]\.sticky: not supported/,
    );
    assert.throws(
      () => buildEdgeTable([route('x', 'Host(`a`)', 'apps', { middlewares: [{ name: 'gone' }] })]),
      /IngressRoute apps\/x spec\.routes\[0\]\.middlewares\[0\]: Middleware apps\/gone not found/,
    );
    assert.throws(
      () => buildEdgeTable([route('x', 'Host(`a`) || Host(`b`)', 'apps')]),
      /routes\[0\]\.match: .*only &&/,
    );
    assert.throws(
      () =>
        buildEdgeTable([
          route('x', 'Host(`a`)', 'apps', { middlewares: [{ name: 'rl' }] }),
          {
            apiVersion: 'traefik.io/v1alpha1',
            kind: 'Middleware',
            metadata: { name: 'rl', namespace: 'apps' },
            spec: { rateLimit: {} },
          },
        ]),
      /Middleware apps\/rl spec\.rateLimit: not supported/,
    );
  });
});

describe('mesh table (GRPCRoute precedence)', () => {
  const grpc = (name: string, pr: string, extra: Record<string, unknown> = {}): PlatformObject => ({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'GRPCRoute',
    metadata: { name, namespace: 'apps' },
    spec: {
      parentRefs: [{ group: 'core', kind: 'Service', name: 'store-service', port: 8080 }],
      rules: [
        {
          matches: [
            {
              method: { type: 'Exact', service: 'store.v1.StoreService' },
              headers: [{ type: 'Exact', name: 'x-canary', value: pr }],
              ...extra,
            },
          ],
          backendRefs: [{ name: 'store-service', namespace: `store-canary-pr-${pr}`, port: 8080 }],
        },
        { backendRefs: [{ name: 'store-service', namespace: 'apps', port: 8080 }] },
      ],
    },
  });
  const table = buildMeshTable([grpc('a', '7'), grpc('b', '123')]);
  const call = (key?: string, service = 'store.v1.StoreService') => ({
    service,
    method: 'GetItem',
    headers: key === undefined ? {} : { 'x-canary': key },
  });

  it('routes the key to its PR backend and everything else to the catch-all', () => {
    assert.equal(
      selectMeshRule(table, 'store-service.apps', call('7'))?.backend.namespace,
      'store-canary-pr-7',
    );
    assert.equal(
      selectMeshRule(table, 'store-service.apps', call('123'))?.backend.namespace,
      'store-canary-pr-123',
    );
    assert.equal(selectMeshRule(table, 'store-service.apps', call())?.backend.namespace, 'apps');
    assert.equal(
      selectMeshRule(table, 'store-service.apps', call('123', 'grpc.health.v1.Health'))?.backend.namespace,
      'apps',
    );
    assert.equal(
      selectMeshRule(table, 'other.apps', call('7')),
      undefined,
      'no route attached: the parent itself',
    );
  });

  it('fails a call no attached rule matches (no implicit fallback)', () => {
    const only = buildMeshTable([
      {
        ...grpc('c', '9'),
        spec: {
          ...(grpc('c', '9').spec as object),
          rules: [(grpc('c', '9').spec as { rules: unknown[] }).rules[0]],
        },
      },
    ]);
    assert.equal(selectMeshRule(only, 'store-service.apps', call('1')), null);
  });

  it('refuses match types it does not implement', () => {
    assert.throws(
      () =>
        buildMeshTable([
          grpc('r', '1', { headers: [{ type: 'RegularExpression', name: 'x-canary', value: '.*' }] }),
        ]),
      /GRPCRoute apps\/r spec\.rules\[0\]\.matches\[0\]\.headers\[0\]\.type: RegularExpression \(only Exact\)/,
    );
  });
});

describe('indexed lookup equals a full scan', () => {
  it('edge: same route as scanning every route in table order (random tables, ties included)', async () => {
    const { default: fc } = await import('fast-check');
    const { matches } = await import('../src/traefik.ts');
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            pr: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
            priority: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
            ep: fc.constantFrom('internal', 'websecure'),
          }),
          { maxLength: 12 },
        ),
        fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
        (specs, key) => {
          const table = buildEdgeTable(
            specs.map(
              (spec, i): PlatformObject => ({
                apiVersion: 'traefik.io/v1alpha1',
                kind: 'IngressRoute',
                metadata: { name: `r${i}`, namespace: 'apps' },
                spec: {
                  entryPoints: [spec.ep],
                  routes: [
                    {
                      kind: 'Rule',
                      match:
                        spec.pr === undefined
                          ? 'Host(`a.example.com`)'
                          : `Host(\`a.example.com\`) && Header(\`X-Canary\`, \`${spec.pr}\`)`,
                      ...(spec.priority === undefined ? {} : { priority: spec.priority }),
                      services: [{ name: 's', namespace: `n${i}`, port: 80 }],
                    },
                  ],
                },
              }),
            ),
          );
          const request = {
            host: 'a.example.com',
            path: '/',
            headers: key === undefined ? {} : { 'x-canary': String(key) },
          };
          let naive: (typeof table)[number] | undefined;
          for (const route of table) {
            if (
              route.entryPoints.includes('internal') &&
              matches(route.matchers, request) &&
              (naive === undefined || route.priority > naive.priority)
            )
              naive = route;
          }
          assert.equal(selectEdgeRoute(table, 'internal', request)?.id, naive?.id);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
