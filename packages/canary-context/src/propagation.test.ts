import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import Fastify, { type FastifyInstance } from 'fastify';
import { currentCanaryKey } from './context.ts';
import { canaryFastifyPlugin } from './fastify.ts';
import { canaryClientInterceptor } from './grpc-client.ts';
import { canaryServerInterceptor } from './grpc-server.ts';

// A minimal echo service with JSON messages, so the test needs no generated code.
const json = {
  serialize: (v: unknown) => Buffer.from(JSON.stringify(v)),
  deserialize: (b: Buffer) => JSON.parse(b.toString()) as Record<string, unknown>,
};
const echoService = {
  echo: {
    path: '/test.Echo/Echo',
    requestStream: false,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  },
} satisfies grpc.ServiceDefinition;

interface Seen {
  metadata: Record<string, unknown>;
  contextKey: string | undefined;
}

describe('canary key propagation HTTP → gRPC (in-process)', () => {
  const seen: Seen[] = [];
  let server: grpc.Server;
  let client: grpc.Client;
  let app: FastifyInstance;

  before(async () => {
    server = new grpc.Server({
      interceptors: [canaryServerInterceptor({ service: 'store-service', track: 'pr-9', version: 'v2.0.0' })],
    });
    server.addService(echoService, {
      echo(call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) {
        // Await something first: the context must survive async hops inside the handler.
        setImmediate(() => {
          seen.push({ metadata: call.metadata.getMap(), contextKey: currentCanaryKey() });
          if ((call.request as { fail?: boolean }).fail) {
            callback({ code: grpc.status.NOT_FOUND, details: 'nope' });
          } else callback(null, { ok: true });
        });
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    const Client = grpc.makeGenericClientConstructor(echoService, 'Echo');
    client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      interceptors: [canaryClientInterceptor],
    });

    app = Fastify();
    await app.register(canaryFastifyPlugin, {
      identity: { service: 'api-service', track: 'pr-9', version: 'pr-9-abcdef12' },
    });
    const call = (request: unknown) =>
      new Promise<void>((resolve, reject) => {
        const md = new grpc.Metadata();
        md.set('authorization', 'Bearer secret'); // set by app code: must pass untouched
        const echo = client as unknown as {
          echo(req: unknown, md: grpc.Metadata, cb: (err: grpc.ServiceError | null) => void): void;
        };
        echo.echo(request, md, (err) => (err ? reject(err) : resolve()));
      });
    app.post('/twice', async (request) => {
      await call({});
      await call(request.body);
      return { context: currentCanaryKey() ?? null };
    });
    app.get('/fail', async (_request, reply) => {
      await call({ fail: true }).catch(() => undefined);
      return reply.code(404).send({ error: 'nope' });
    });
  });

  after(async () => {
    await app.close();
    client.close();
    server.forceShutdown();
  });

  it('carries a valid key into metadata and baggage, and runs the server handler in its context', async () => {
    seen.length = 0;
    const response = await app.inject({
      method: 'POST',
      url: '/twice',
      headers: { 'x-canary': ' 123 ', cookie: 'session=1', 'x-tenant-id': 't1' },
      payload: { a: 1 },
    });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { context: '123' });
    assert.equal(response.headers['x-canary-echo'], '123');
    assert.equal(response.headers['x-canary-error'], undefined);
    assert.equal(seen.length, 2);
    for (const hop of seen) {
      assert.equal(hop.metadata['x-canary'], '123');
      assert.equal(hop.metadata.baggage, 'canary=123');
      assert.equal(hop.contextKey, '123');
      // Only the key and baggage are added: no incoming header leaks into metadata.
      assert.equal(hop.metadata.cookie, undefined);
      assert.equal(hop.metadata['x-tenant-id'], undefined);
      assert.equal(hop.metadata.authorization, 'Bearer secret');
    }
    assert.equal(
      response.headers['x-served-by'],
      'api-service@pr-9 (sha abcdef1), store-service@pr-9 (v2.0.0), store-service@pr-9 (v2.0.0)',
    );
  });

  it('propagates nothing for an invalid key, answers X-Canary-Error and still serves', async () => {
    seen.length = 0;
    const response = await app.inject({
      method: 'POST',
      url: '/twice',
      headers: { 'x-canary': 'pr-1' },
      payload: {},
    });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['x-canary-error'], 'not-a-pr-number');
    assert.equal(response.headers['x-canary-echo'], undefined);
    assert.equal(seen.length, 2);
    for (const hop of seen) {
      assert.equal(hop.metadata['x-canary'], undefined);
      assert.equal(hop.metadata.baggage, undefined);
      assert.equal(hop.contextKey, undefined);
    }
  });

  it('keeps concurrent requests apart', async () => {
    seen.length = 0;
    const keys = Array.from({ length: 40 }, (_, i) => String(i + 1));
    const responses = await Promise.all(
      keys.map((key) =>
        app.inject({ method: 'POST', url: '/twice', headers: { 'x-canary': key }, payload: {} }),
      ),
    );
    for (const [i, r] of responses.entries()) assert.deepEqual(r.json(), { context: keys[i] });
    for (const hop of seen) assert.equal(hop.metadata['x-canary'], hop.contextKey);
    assert.equal(seen.length, 80);
  });

  it('returns the served-by entry on gRPC errors too', async () => {
    const response = await app.inject({ method: 'GET', url: '/fail' });
    assert.equal(response.statusCode, 404);
    assert.equal(
      response.headers['x-served-by'],
      'api-service@pr-9 (sha abcdef1), store-service@pr-9 (v2.0.0)',
    );
  });
});
