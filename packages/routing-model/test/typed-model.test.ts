// The typed reading of rendered objects: what verify's rules, explain and the lab share.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type PlatformObject, readPlatform } from '../src/index.ts';
import { grantAllows, readGatewayRoute, readReferenceGrant } from '../src/mesh.ts';
import {
  besidesHeaders,
  buildEdgeTable,
  defaultPriority,
  isCanaryRoute,
  matcherKey,
  onPublicEntrypoint,
  readIngressRoute,
  readMiddleware,
  readRule,
  ruleText,
} from '../src/traefik.ts';

const ingress = (spec: unknown, namespace = 'apps'): PlatformObject => ({
  apiVersion: 'traefik.io/v1alpha1',
  kind: 'IngressRoute',
  metadata: { name: 'r', namespace },
  spec,
});

describe('Traefik objects as typed data', () => {
  it('an IngressRoute route: hosts, explicit or default priority, middlewares and services in the route namespace', () => {
    const rule = 'Host(`API.example.com`) && Header(`X-Canary`, `7`)';
    const read = readIngressRoute(
      ingress({
        entryPoints: ['internal'],
        routes: [
          { match: rule, middlewares: [{ name: 'guard' }], services: [{ name: 'api-service', port: 8080 }] },
          { match: 'Host(`api.example.com`)', priority: 10, services: [{ name: 'api-service' }] },
        ],
      }),
    );
    const [canary, stable] = read.routes;
    assert.deepEqual(canary?.hosts, ['api.example.com']);
    assert.equal(canary?.priority, rule.length);
    assert.equal(canary?.priority, defaultPriority(rule));
    assert.equal(canary?.explicitPriority, false);
    assert.deepEqual(canary?.middlewares, [{ name: 'guard', namespace: 'apps' }]);
    assert.equal(canary?.services[0]?.namespace, 'apps');
    assert.equal(canary?.path, 'spec.routes[0]');
    assert.equal(stable?.priority, 10);
    assert.equal(stable?.explicitPriority, true);
    assert.ok(canary !== undefined && isCanaryRoute(canary));
    assert.ok(stable !== undefined && !isCanaryRoute(stable));
    assert.equal(onPublicEntrypoint(read), false);
  });

  it('reads objects once: the same object gives the same typed view', () => {
    const object = ingress({ entryPoints: ['websecure'], routes: [] });
    assert.equal(readIngressRoute(object), readIngressRoute(object));
    assert.equal(onPublicEntrypoint(readIngressRoute(object)), true);
    assert.equal(
      onPublicEntrypoint(readIngressRoute(ingress({ routes: [] }))),
      true,
      'none listed: every one',
    );
  });

  it('records what the lab does not implement instead of throwing; the lab table refuses it', () => {
    const object = ingress({
      entryPoints: ['internal'],
      routes: [{ match: 'Host(`a`)', sticky: {}, services: [] }],
    });
    assert.deepEqual(readIngressRoute(object).problems, [
      'IngressRoute apps/r spec.routes[0].sticky: not supported by the lab',
    ]);
    assert.throws(() => buildEdgeTable([object]), /spec\.routes\[0\]\.sticky: not supported by the lab/);
  });

  it('reads rules outside the subset: the matchers it knows, the problem, and every matcher name (v2 Headers)', () => {
    const v2 = readRule('Host(`a`) && Headers(`X-Canary`, `1`)');
    assert.deepEqual(v2.matchers, [{ kind: 'Host', host: 'a' }]);
    assert.deepEqual(v2.names, ['Host', 'Headers']);
    assert.match(v2.problem ?? '', /matcher Headers is not supported/);
    const or = readRule('Host(`a`) || PathPrefix(`/x`)');
    assert.match(or.problem ?? '', /only &&/);
    assert.deepEqual(
      or.matchers,
      [
        { kind: 'Host', host: 'a' },
        { kind: 'PathPrefix', prefix: '/x' },
      ],
      'its terms as written',
    );
  });

  it('compares what two rules match regardless of matcher order, and writes matchers back as a rule', () => {
    const a = readRule('Host(`a`) && PathPrefix(`/v1`)').matchers;
    const b = readRule('PathPrefix(`/v1`)  &&  Host(`A`)').matchers;
    assert.equal(matcherKey(a), matcherKey(b));
    assert.equal(ruleText(a), 'Host(`a`) && PathPrefix(`/v1`)');
    const canary = readIngressRoute(
      ingress({ routes: [{ match: 'Host(`a`) && Header(`X-Canary`, `1`) && PathPrefix(`/v1`)' }] }),
    ).routes[0];
    assert.ok(canary !== undefined);
    assert.equal(matcherKey(besidesHeaders(canary)), matcherKey(a));
  });

  it('a Middleware: headers removed (empty value) and set, allow-lists, forward-auth', () => {
    const mw = (spec: unknown): PlatformObject => ({
      apiVersion: 'traefik.io/v1alpha1',
      kind: 'Middleware',
      metadata: { name: 'm', namespace: 'apps' },
      spec,
    });
    const strip = readMiddleware(
      mw({ headers: { customRequestHeaders: { 'X-Canary': '', Baggage: '', 'X-Preview': '7' } } }),
    );
    assert.deepEqual(strip.headers?.request, { set: { 'x-preview': '7' }, remove: ['x-canary', 'baggage'] });
    assert.deepEqual(readMiddleware(mw({ ipAllowList: { sourceRange: ['10.0.0.0/8'] } })).ipAllowList, [
      '10.0.0.0/8',
    ]);
    const auth = readMiddleware(mw({ forwardAuth: { address: 'http://auth' } }));
    assert.equal(auth.forwardAuth, true);
    assert.match(auth.problems[0] ?? '', /forwardAuth: not supported by the lab/);
  });
});

describe('Gateway API objects as typed data', () => {
  const route: PlatformObject = {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'GRPCRoute',
    metadata: { name: 'store-service-canary-pr-7', namespace: 'apps' },
    spec: {
      parentRefs: [{ group: 'core', kind: 'Service', name: 'store-service' }],
      rules: [
        {
          matches: [
            { method: { service: 'store.v1.StoreService' }, headers: [{ name: 'X-Canary', value: '7' }] },
          ],
          backendRefs: [{ name: 'store-service', namespace: 'store-canary-pr-7', port: 8080 }],
        },
        { backendRefs: [{ name: 'store-service', port: 8080 }] },
      ],
    },
  };

  it('parents and backends resolve to the route namespace; matches keep their path', () => {
    const read = readGatewayRoute(route);
    assert.deepEqual(read.parents[0], {
      path: 'spec.parentRefs[0]',
      group: 'core',
      kind: 'Service',
      name: 'store-service',
      namespace: 'apps',
      port: undefined,
    });
    assert.equal(read.rules[1]?.backendRefs[0]?.namespace, 'apps');
    assert.equal(read.rules[0]?.matches[0]?.path, 'spec.rules[0].matches[0]');
    assert.deepEqual(read.rules[0]?.matches[0]?.headers, [{ type: 'Exact', name: 'x-canary', value: '7' }]);
  });

  it('a cross-namespace backend needs a ReferenceGrant for the route kind, namespace and Service', () => {
    const read = readGatewayRoute(route);
    const backend = read.rules[0]?.backendRefs[0];
    assert.ok(backend !== undefined);
    const grant = (fromKind: string): PlatformObject => ({
      apiVersion: 'gateway.networking.k8s.io/v1beta1',
      kind: 'ReferenceGrant',
      metadata: { name: 'g', namespace: 'store-canary-pr-7' },
      spec: {
        from: [{ group: 'gateway.networking.k8s.io', kind: fromKind, namespace: 'apps' }],
        to: [{ group: '', kind: 'Service' }],
      },
    });
    assert.equal(grantAllows([], read, backend), false);
    assert.equal(grantAllows([readReferenceGrant(grant('GRPCRoute'))], read, backend), true);
    assert.equal(grantAllows([readReferenceGrant(grant('HTTPRoute'))], read, backend), false);
    assert.equal(grantAllows([], read, { name: 'store-service', namespace: 'apps' }), true, 'same namespace');
  });

  it('the platform view lists each provider’s objects and finds a route’s Middleware', () => {
    const platform = readPlatform([
      route,
      ingress({ routes: [] }),
      {
        apiVersion: 'traefik.io/v1alpha1',
        kind: 'Middleware',
        metadata: { name: 'guard', namespace: 'apps' },
        spec: {},
      },
    ]);
    assert.equal(platform.gatewayRoutes.length, 1);
    assert.equal(platform.ingressRoutes.length, 1);
    assert.equal(platform.middleware({ name: 'guard', namespace: 'apps' })?.id, 'Middleware apps/guard');
    assert.equal(platform.middleware({ name: 'guard', namespace: 'other' }), undefined);
  });
});
