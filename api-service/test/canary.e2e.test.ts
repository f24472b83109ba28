// The routing key across real processes: what api-service sends to the store for each
// X-Canary value, what the store receives, and the served-by chain that comes back.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { canaryServerInterceptor } from 'canary-context';
import { type ServiceProcess, startService } from 'local-runtime/process';
import { TRUST_HEADERS } from 'local-runtime/services';
import { type Stack, startStack } from 'local-runtime/stack';
import { type StoreServiceServer, StoreServiceService } from 'store-contract';
import { httpClient, rawHttp } from 'test-harness/http';

/** A store double that records the metadata of every call and answers an empty list. */
async function startRecordingStore() {
  const calls: Array<Record<string, grpc.MetadataValue[]>> = [];
  const server = new grpc.Server({
    interceptors: [canaryServerInterceptor({ service: 'store-service', track: 'pr-123', version: 'v9.9.9' })],
  });
  const unimplemented = (_call: unknown, callback: grpc.sendUnaryData<never>) =>
    callback({ code: grpc.status.UNIMPLEMENTED });
  const handlers: StoreServiceServer = {
    listItems(call, callback) {
      const seen: Record<string, grpc.MetadataValue[]> = {};
      for (const key of Object.keys(call.metadata.getMap())) seen[key] = call.metadata.get(key);
      calls.push(seen);
      callback(null, { items: [], nextPageToken: '' });
    },
    createItem: unimplemented,
    getItem: unimplemented,
    updateItem: unimplemented,
    deleteItem: unimplemented,
    updateInventory: unimplemented,
  };
  server.addService(StoreServiceService, handlers);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  return { calls, port, close: () => server.forceShutdown() };
}

const raw = (key: Buffer | string) =>
  Buffer.concat([
    Buffer.from('GET /v1/items HTTP/1.1\r\nHost: localhost\r\nX-Tenant-ID: t1\r\nConnection: close\r\n'),
    typeof key === 'string' ? Buffer.from(key, 'latin1') : key,
    Buffer.from('\r\n\r\n'),
  ]);

describe('X-Canary through api-service to the store', () => {
  let recorder: Awaited<ReturnType<typeof startRecordingStore>>;
  let api: ServiceProcess;

  before(async () => {
    recorder = await startRecordingStore();
    api = await startService('api-service', {
      env: {
        PORT: '0',
        METRICS_PORT: '0',
        BIND_HOST: '127.0.0.1',
        STORE_ADDRESS: `127.0.0.1:${recorder.port}`,
        DEPLOYMENT_TRACK: 'pr-123',
        APP_VERSION: 'pr-123-1a2b3c4d',
        // X-Tenant-ID without tokens: what is tested here is the key, not who calls.
        ...TRUST_HEADERS,
      },
    });
  });
  after(async () => {
    await api?.stop();
    recorder?.close();
  });

  it('sends x-canary and baggage canary=<N> for a valid key, and nothing else from the request', async () => {
    recorder.calls.length = 0;
    const http = httpClient(`http://127.0.0.1:${api.ports.port}`);
    const r = await http('GET', '/v1/items', {
      headers: {
        'x-tenant-id': 't1',
        'x-canary': '123',
        cookie: 'session=secret',
        authorization: 'Bearer token',
        'x-forwarded-for': '10.0.0.1',
        baggage: 'user=alice',
      },
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-canary-echo'), '123');
    assert.equal(
      r.headers.get('x-served-by'),
      'api-service@pr-123 (sha 1a2b3c4), store-service@pr-123 (v9.9.9)',
    );
    assert.equal(recorder.calls.length, 1);
    const md = recorder.calls[0] ?? {};
    assert.deepEqual(md['x-canary'], ['123']);
    assert.deepEqual(md.baggage, ['canary=123']);
    for (const leaked of ['cookie', 'authorization', 'x-forwarded-for', 'x-tenant-id']) {
      assert.equal(md[leaked], undefined, `${leaked} must not reach gRPC metadata`);
    }
  });

  it('sends no key and no baggage without X-Canary', async () => {
    recorder.calls.length = 0;
    const r = await httpClient(`http://127.0.0.1:${api.ports.port}`)('GET', '/v1/items', {
      headers: { 'x-tenant-id': 't1' },
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-canary-echo'), null);
    assert.equal(r.headers.get('x-canary-error'), null);
    assert.equal(recorder.calls[0]?.['x-canary'], undefined);
    assert.equal(recorder.calls[0]?.baggage, undefined);
  });

  it('serves hostile values as stable: X-Canary-Error, nothing propagated', async () => {
    const port = api.ports.port ?? 0;
    const cases: Array<[string, Buffer | string, string]> = [
      ['pr-1', 'X-Canary: pr-1', 'not-a-pr-number'],
      ['zero', 'X-Canary: 0', 'not-a-pr-number'],
      ['11 digits', 'X-Canary: 12345678901', 'not-a-pr-number'],
      ['non-ASCII digits (UTF-8 bytes)', Buffer.from('X-Canary: ١٢٣', 'utf8'), 'not-a-pr-number'],
      ['latin-1 byte', 'X-Canary: 12\xe9', 'not-a-pr-number'],
      ['10 kB', `X-Canary: ${'1'.repeat(10_240)}`, 'too-long'],
      ['two header lines', 'X-Canary: 123\r\nX-Canary: 7', 'multiple-values'],
      ['comma list', 'X-Canary: 123, 7', 'multiple-values'],
    ];
    for (const [label, header, reason] of cases) {
      recorder.calls.length = 0;
      const r = await rawHttp(port, raw(header));
      assert.equal(r.status, 200, `${label}: served`);
      assert.equal(r.headers['x-canary-error'], reason, label);
      assert.equal(r.headers['x-canary-echo'], undefined, label);
      assert.match(r.headers['x-served-by'] ?? '', /^api-service@pr-123 /, label);
      assert.equal(recorder.calls.length, 1, label);
      assert.equal(recorder.calls[0]?.['x-canary'], undefined, `${label}: not propagated`);
      assert.equal(recorder.calls[0]?.baggage, undefined, `${label}: no baggage`);
    }
  });

  it('never lets CR/LF inside a value through: the HTTP parser refuses the request', async () => {
    for (const header of ['X-Canary: 12\r3', 'X-Canary: 12\n3', 'X-Canary: 1\r\n 23']) {
      recorder.calls.length = 0;
      const r = await rawHttp(api.ports.port ?? 0, raw(header));
      assert.equal(r.status, 400, JSON.stringify(header));
      assert.equal(recorder.calls.length, 0, 'nothing reached the store');
    }
    const healthy = await httpClient(`http://127.0.0.1:${api.ports.port}`)('GET', '/healthz');
    assert.equal(healthy.status, 200);
  });
});

describe('X-Canary end to end with the real store', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      edgePort: 0,
      dataDir: undefined,
      // The store logs successful calls at debug; this test reads them.
      env: { DEPLOYMENT_TRACK: 'pr-123', APP_VERSION: 'pr-123-abcdef12', LOG_LEVEL: 'debug' },
    });
  });
  after(async () => {
    await stack?.stop();
  });

  it('the store receives the key in its request context and both hops answer with their track', async () => {
    const http = httpClient(stack.edgeUrl, {}, stack.token);
    const isList = (l: Record<string, unknown>) => l.rpc === 'ListItems';
    let from = stack.service('store-service').logs.length;
    const r = await http('GET', '/v1/items', { headers: { 'x-tenant-id': 't1', 'x-canary': '123' } });
    assert.equal(r.status, 200);
    assert.equal(
      r.headers.get('x-served-by'),
      'api-service@pr-123 (sha abcdef1), store-service@pr-123 (sha abcdef1)',
    );
    const call = await stack.service('store-service').waitForLog(isList, { from });
    assert.equal(call.canary, '123');
    assert.equal(call.track, 'pr-123');

    from = stack.service('store-service').logs.length;
    await http('GET', '/v1/items', { headers: { 'x-tenant-id': 't1', 'x-canary': 'pr-1' } });
    const last = await stack.service('store-service').waitForLog(isList, { from });
    assert.equal(last.canary, undefined, 'an invalid key never reaches the store');
  });
});
