// Real Traefik as the lab's edge (TraefikEdge): fed by its file provider from the rendered
// objects, it routes X-Canary and preview hosts like the emulation, follows route and
// backend changes only once they are in effect, and frees its ports when closed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { PlatformObject } from 'routing-model';
import { goSkipReason } from 'upstream-tools';
import type { Resolution } from '../src/lab/backends.ts';
import { dynamicConfig, TraefikEdge, withLoopbackAliases } from '../src/lab/traefik-edge.ts';

const HOST = 'api.example.com';

const ingress = (
  name: string,
  entryPoint: string,
  match: string,
  backendNs: string,
  extra = {},
): PlatformObject => ({
  apiVersion: 'traefik.io/v1alpha1',
  kind: 'IngressRoute',
  metadata: { name, namespace: 'apps' },
  spec: {
    entryPoints: [entryPoint],
    routes: [
      {
        kind: 'Rule',
        match,
        ...extra,
        middlewares: [{ name: entryPoint === 'internal' ? 'set-seen' : 'strip-canary', namespace: 'apps' }],
        services: [{ name: 'api-service', namespace: backendNs, port: 8080 }],
      },
    ],
  },
});

const middleware = (name: string, headers: Record<string, string>): PlatformObject => ({
  apiVersion: 'traefik.io/v1alpha1',
  kind: 'Middleware',
  metadata: { name, namespace: 'apps' },
  spec: { headers: { customRequestHeaders: headers } },
});

const OBJECTS: PlatformObject[] = [
  middleware('strip-canary', { 'X-Canary': '' }),
  middleware('set-seen', { 'X-Seen-By-Edge': 'yes' }),
  ingress('stable-internal', 'internal', `Host(\`${HOST}\`)`, 'apps', { priority: 10 }),
  ingress('stable-public', 'websecure', `Host(\`${HOST}\`)`, 'apps', { priority: 10 }),
  ingress('canary-5', 'internal', `Host(\`${HOST}\`) && Header(\`X-Canary\`, \`5\`)`, 'api-canary-pr-5', {
    priority: 1000,
  }),
];

function get(port: number, host: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/v1/items', headers: { host, ...headers } },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('real Traefik as the lab edge', { skip: await goSkipReason() }, () => {
  const backends = new Map<string, Server>();
  const up = new Map<string, string>();
  let dir: string;
  let edge: TraefikEdge;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'traefik-edge-'));
    for (const ns of ['apps', 'api-canary-pr-5', 'api-canary-pr-6']) {
      const server = createServer((req, res) =>
        res.end(
          `${ns} x-canary=${req.headers['x-canary'] ?? '-'} seen=${req.headers['x-seen-by-edge'] ?? '-'}`,
        ),
      );
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      backends.set(ns, server);
      up.set(ns, `127.0.0.1:${(server.address() as AddressInfo).port}`);
    }
    edge = new TraefikEdge(
      {
        entryPoints: { internal: 0, websecure: 0 },
        guardedEntryPoints: ['internal'],
        host: HOST,
        resolve: (ref): Resolution => {
          const address = up.get(ref.namespace);
          return address === undefined ? { kind: 'down', reason: 'stopped' } : { kind: 'up', address };
        },
      },
      dir,
    );
    await edge.start(OBJECTS);
  });

  after(async () => {
    await edge?.close();
    for (const s of backends.values()) s.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('writes each Host() with its loopback alias and keeps the default priority of the rule as written', () => {
    assert.equal(
      withLoopbackAliases(`Host(\`pr-5.${HOST}\`) && Path(\`/\`)`, HOST),
      `(Host(\`pr-5.${HOST}\`) || Host(\`pr-5.localhost\`)) && Path(\`/\`)`,
    );
    const preview = ingress('preview', 'internal', `Host(\`pr-5.${HOST}\`)`, 'api-canary-pr-5');
    const config = dynamicConfig([...OBJECTS, preview], {
      host: HOST,
      entryPoints: { internal: 1 },
      resolve: () => ({ kind: 'down', reason: '' }),
    });
    assert.equal(config.http.routers['apps-preview-0']?.priority, `Host(\`pr-5.${HOST}\`)`.length);
    assert.equal(
      config.http.routers['apps-stable-public-0'],
      undefined,
      'no router on an entrypoint the lab does not serve',
    );
    assert.deepEqual(config.http.services['api-canary-pr-5-api-service-8080'], {
      loadBalancer: { servers: [] },
    });
  });

  it('routes X-Canary on the guarded entrypoint to the canary and strips it on the public one, for the API host and localhost', async () => {
    const internal = edge.ports.internal as number;
    const websecure = edge.ports.websecure as number;
    assert.equal(
      (await get(internal, HOST, { 'X-Canary': '5' })).body,
      'api-canary-pr-5 x-canary=5 seen=yes',
    );
    assert.equal(
      (await get(internal, 'localhost:8080', { 'X-Canary': '5' })).body,
      'api-canary-pr-5 x-canary=5 seen=yes',
    );
    assert.equal((await get(internal, HOST, { 'X-Canary': '9' })).body, 'apps x-canary=9 seen=yes');
    assert.equal((await get(websecure, HOST, { 'X-Canary': '5' })).body, 'apps x-canary=- seen=-');
    assert.equal((await get(internal, 'unknown.example.com')).status, 404);
  });

  it('serves new routes once load resolves, and a stopped backend as 503 once backendsChanged resolves', async () => {
    const internal = edge.ports.internal as number;
    await edge.load([
      ...OBJECTS,
      ingress('canary-6', 'internal', `Host(\`${HOST}\`) && Header(\`X-Canary\`, \`6\`)`, 'api-canary-pr-6', {
        priority: 1000,
      }),
    ]);
    assert.equal(
      (await get(internal, HOST, { 'X-Canary': '6' })).body,
      'api-canary-pr-6 x-canary=6 seen=yes',
    );
    assert.ok(edge.routeLines().some((l) => l.startsWith('apps-canary-6-0@file [internal] priority 1000')));
    up.delete('api-canary-pr-6');
    await edge.backendsChanged();
    assert.equal((await get(internal, HOST, { 'X-Canary': '6' })).status, 503);
    const why = edge.explain({
      entryPoint: 'internal',
      host: 'localhost',
      path: '/',
      headers: { 'X-Canary': '6' },
    });
    assert.equal(why?.route, 'IngressRoute apps/canary-6 routes[0]');
  });

  it('once closed, frees its entrypoints and takes backend changes as nothing to do (the lab stops services after its edge)', async () => {
    const internal = edge.ports.internal as number;
    await edge.close();
    const written = readFileSync(join(dir, 'traefik-dynamic.yaml'), 'utf8');
    up.delete('apps');
    // Resolves without rewriting the configuration or waiting for a Traefik that is gone.
    await edge.backendsChanged();
    assert.equal(readFileSync(join(dir, 'traefik-dynamic.yaml'), 'utf8'), written);
    await assert.rejects(get(internal, HOST), /ECONNREFUSED/);
  });

  it('refuses objects the lab cannot serve before starting anything, naming the object and field', async () => {
    const broken = new TraefikEdge(
      {
        entryPoints: { internal: 0 },
        guardedEntryPoints: [],
        host: HOST,
        resolve: () => ({ kind: 'down', reason: '' }),
      },
      join(dir, 'broken'),
    );
    const bad = ingress('bad', 'internal', `Host(\`${HOST}\`)`, 'apps');
    await assert.rejects(
      broken.start([bad]),
      /IngressRoute apps\/bad spec\.routes\[0\]\.middlewares\[0\]: Middleware apps\/set-seen not found/,
    );
    assert.deepEqual(broken.ports, {}, 'no entrypoint was opened');
  });
});
