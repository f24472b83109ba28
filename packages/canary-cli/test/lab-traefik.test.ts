// The lab with real Traefik at its edge (lab up --edge traefik): the README's walkthrough
// routes the same through Traefik as through the emulation: stable by default, X-Canary to
// the PR at every hop, the key stripped on the public entrypoint, preview hostnames, and
// routes that follow lab add and lab rm.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Lab } from 'local-runtime/lab';
import { getWithHost, httpClient } from 'test-harness/http';
import { goSkipReason } from 'upstream-tools';
import { manifestRoutes } from '../src/lab-routes.ts';
import { repoRoot } from './fixture-repo.ts';
import { kubectlMissing } from './kubectl.ts';

describe('the lab with real Traefik at the edge', { skip: kubectlMissing || (await goSkipReason()) }, () => {
  let lab: Lab;

  const get = async (key?: string, entry: 'internal' | 'websecure' = 'internal') => {
    const http = httpClient(`http://localhost:${lab.ports[entry]}`, { 'x-tenant-id': 'lab' }, (t) =>
      lab.token(t),
    );
    const headers: Record<string, string> = {};
    if (key !== undefined) headers['x-canary'] = key;
    const r = await http('GET', '/v1/items', { headers });
    const served = r.headers.get('x-served-by') ?? '';
    return { status: r.status, served, tracks: [...served.matchAll(/@([a-z0-9-]+) /g)].map((m) => m[1]) };
  };

  before(async () => {
    lab = await Lab.start({
      repoRoot,
      routes: manifestRoutes,
      port: 0,
      publicPort: 0,
      dataDir: undefined,
      edge: 'traefik',
    });
    await lab.add(123, { services: ['api-service', 'store-service'] });
  });

  after(async () => {
    await lab?.stop();
  });

  it('no key reaches stable; X-Canary: 123 reaches PR 123 at every hop; an unknown key reaches stable', async () => {
    assert.deepEqual((await get()).tracks, ['stable', 'stable']);
    assert.deepEqual((await get('123')).tracks, ['pr-123', 'pr-123']);
    assert.deepEqual((await get('999')).tracks, ['stable', 'stable']);
  });

  it('the public entrypoint answers from stable and strips the internal headers', async () => {
    const r = await get('123', 'websecure');
    assert.equal(r.status, 200);
    assert.equal(r.served, '', 'X-Served-By is stripped on the public entrypoint');
  });

  it("PR 123's preview hostname reaches PR 123 at every hop; a host no route names is Traefik's 404", async () => {
    const token = await lab.token('lab');
    const viaHost = async (host: string) => {
      const r = await getWithHost(lab.ports.internal, `${host}:${lab.ports.internal}`, '/v1/items', {
        authorization: `Bearer ${token}`,
      });
      return { status: r.status, servedBy: r.headers['x-served-by'] ?? '' };
    };
    const preview = await viaHost('pr-123.localhost');
    assert.equal(preview.status, 200);
    assert.match(preview.servedBy, /^api-service@pr-123 \(.*\), store-service@pr-123 /);
    assert.equal((await viaHost('pr-999.localhost')).status, 404);
  });

  it("lists Traefik's routers, and explain names the edge that answered", () => {
    const { routes } = lab.status();
    assert.ok(
      routes.edge.some((r) => r.startsWith('apps-api-service-canary-pr-123-0@file [internal] priority 1000')),
      routes.edge.join('\n'),
    );
    const why = lab.explain({
      entryPoint: 'internal',
      host: 'localhost',
      path: '/v1/items',
      headers: { 'X-Canary': '123' },
    });
    assert.equal(why.edgeKind, 'traefik');
    assert.equal(why.edge?.route, 'IngressRoute apps/api-service-canary-pr-123 routes[0]');
  });

  it('lab rm takes the route away: X-Canary: 123 reaches stable again', async () => {
    await lab.remove(123);
    assert.deepEqual((await get('123')).tracks, ['stable', 'stable']);
  });
});
