// Where the mesh cross-check (canary-cli/test/edge-differential.test.ts: the rendered
// GRPCRoutes through Traefik's GRPCRoute implementation) found the lab's mesh routing
// differently, pinned without Traefik: repeated x-canary metadata matches a canary rule
// when any of its values does.
import assert from 'node:assert/strict';
import { connect, createServer, type Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { PlatformObject } from 'routing-model';
import { buildMeshTable } from 'routing-model/mesh';
import { MeshRouter } from '../src/lab/mesh-router.ts';

const route: PlatformObject = {
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'GRPCRoute',
  metadata: { name: 'store-service-canary-pr-5', namespace: 'apps' },
  spec: {
    parentRefs: [{ group: '', kind: 'Service', name: 'store-service', port: 8080 }],
    rules: [
      {
        matches: [
          {
            method: { type: 'Exact', service: 'store.v1.StoreService' },
            headers: [{ type: 'Exact', name: 'x-canary', value: '5' }],
          },
        ],
        backendRefs: [{ name: 'store-service', namespace: 'store-canary-pr-5', port: 8080 }],
      },
      { backendRefs: [{ name: 'store-service', namespace: 'apps', port: 8080 }] },
    ],
  },
};

/** One call with these x-canary lines; the namespace of the backend that answered. */
function call(port: number, canary: readonly string[]): Promise<string> {
  const session = connect(`http://127.0.0.1:${port}`);
  return new Promise<string>((resolve, reject) => {
    session.on('error', reject);
    const stream = session.request({
      ':method': 'POST',
      ':path': '/store.v1.StoreService/GetItem',
      'content-type': 'application/grpc',
      te: 'trailers',
      'x-canary': [...canary],
    });
    stream.on('response', (headers) =>
      resolve(String(headers['x-backend'] ?? `none ${headers['grpc-status']}`)),
    );
    stream.on('error', reject);
    stream.end(Buffer.from([0, 0, 0, 0, 0]));
  }).finally(() => session.close());
}

describe('the emulated mesh routes as a GRPCRoute implementation does', () => {
  const backends: Http2Server[] = [];
  const address = new Map<string, string>();
  const router = new MeshRouter({ name: 'store-service', namespace: 'apps', port: 8080 }, (ref) => {
    const a = address.get(ref.namespace);
    return a === undefined ? { kind: 'down', reason: 'test' } : { kind: 'up', address: a };
  });

  before(async () => {
    for (const ns of ['apps', 'store-canary-pr-5']) {
      const server = createServer();
      server.on('stream', (stream) => {
        stream.respond(
          { ':status': 200, 'content-type': 'application/grpc', 'x-backend': ns },
          { waitForTrailers: true },
        );
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        stream.end();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      backends.push(server);
      address.set(ns, `127.0.0.1:${(server.address() as AddressInfo).port}`);
    }
    router.setTable(buildMeshTable([route]));
    await router.listen();
  });

  after(async () => {
    await router.close();
    for (const b of backends) b.close();
  });

  it('matches repeated x-canary metadata by any of its values', async () => {
    assert.equal(await call(router.port, ['5']), 'store-canary-pr-5');
    assert.equal(await call(router.port, ['8', '5']), 'store-canary-pr-5');
    assert.equal(await call(router.port, ['8']), 'apps');
    assert.equal(await call(router.port, []), 'apps');
  });
});
