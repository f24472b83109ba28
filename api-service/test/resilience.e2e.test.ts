// Failure behaviour with real processes: the store going away and coming back, and
// SIGTERM to either service while requests are in flight.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { type EmbeddedDynamo, startEmbeddedDynamo } from 'local-runtime/dynalite';
import type { ServiceProcess } from 'local-runtime/process';
import { startApi, startStore } from 'local-runtime/services';
import { DATA_STORE_HEALTH } from 'store-contract';
import { httpClient } from 'test-harness/http';
import { startTcpProxy, type TcpProxy } from 'test-harness/tcp-proxy';
import { waitFor } from 'test-harness/wait';

/** grpc.health.v1 status of one service name on a store ('' is the server's overall status). */
async function healthOf(port: number, service: string): Promise<string> {
  const Client = grpc.makeGenericClientConstructor(healthService, 'Health');
  const client = new Client(
    `127.0.0.1:${port}`,
    grpc.credentials.createInsecure(),
  ) as unknown as grpc.Client & {
    check(
      r: { service: string },
      o: grpc.CallOptions,
      cb: (e: Error | null, r?: { status: unknown }) => void,
    ): void;
  };
  try {
    return await new Promise((resolve, reject) =>
      client.check({ service }, { deadline: Date.now() + 1000 }, (e, r) =>
        e
          ? reject(e)
          : resolve(String(r?.status === 1 ? 'SERVING' : r?.status === 2 ? 'NOT_SERVING' : r?.status)),
      ),
    );
  } finally {
    client.close();
  }
}

const startStoreAt = (dynamo: { endpoint: string } | string, port = 0, extra: Record<string, string> = {}) =>
  startStore(dynamo, { ...extra, PORT: String(port) });

describe('resilience', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  after(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  });
  const track = <T extends { stop?: () => Promise<unknown>; close?: () => Promise<unknown> }>(
    thing: T,
  ): T => {
    cleanup.push(() => (thing.stop ? thing.stop() : (thing.close?.() ?? Promise.resolve())));
    return thing;
  };

  it('store stopped: 503 per call within the deadline, the api stays ready and says so; store back: the API recovers by itself', async () => {
    const dynamo: EmbeddedDynamo = track(await startEmbeddedDynamo());
    let store: ServiceProcess = track(await startStore(dynamo));
    const storePort = store.ports.port ?? 0;
    const api = track(await startApi(storePort, { STORE_DEADLINE_MS: '1000', READY_DEADLINE_MS: '500' }));
    const http = httpClient(`http://127.0.0.1:${api.ports.port}`, { 'x-tenant-id': 'res' });
    const created = await http('POST', '/v1/items', {
      body: { name: 'Kept', price_cents: 1, category: 'home' },
    });
    assert.equal(created.status, 201);
    const id = (created.body as { id: string }).id;
    assert.equal((await http('GET', '/readyz')).status, 200, 'the store answered: ready');

    assert.equal(await store.stop(), 0);
    for (let i = 0; i < 5; i += 1) {
      const started = Date.now();
      const r = await http('GET', `/v1/items/${id}`);
      const elapsed = Date.now() - started;
      assert.equal(r.status, 503, r.text);
      assert.equal((r.body as { error: { code: string } }).error.code, 'unavailable');
      // The contract is "503 within the store deadline (1 s)", not a speed target.
      assert.ok(elapsed < 1000 + 500, `answered after ${elapsed} ms`);
    }
    const ready = await http('GET', '/readyz?verbose');
    assert.equal(ready.status, 200, 'every api pod shares the store: none leaves rotation for it');
    assert.deepEqual(ready.body, { status: 'ready', store: 'unreachable' });
    assert.equal((await http('GET', '/healthz')).status, 200, 'liveness does not depend on the store');

    store = track(await startStoreAt(dynamo, storePort));
    await waitFor(async () => (await http('GET', `/v1/items/${id}`)).status === 200, {
      timeout: 10_000,
      interval: 100,
      what: 'the API to answer 200 again without a restart',
    });
    assert.deepEqual((await http('GET', '/readyz?verbose')).body, { status: 'ready', store: 'serving' });
  });

  it('DynamoDB unreachable: the store stays live and ready and reports it, the api stays ready and answers 503 per call', async () => {
    const dynamo = track(await startEmbeddedDynamo());
    const db: TcpProxy = await startTcpProxy(dynamo.port);
    const store = track(await startStoreAt(`http://127.0.0.1:${db.port}`));
    const api = track(await startApi(store.ports.port ?? 0, { STORE_DEADLINE_MS: '1000' }));
    const http = httpClient(`http://127.0.0.1:${api.ports.port}`, { 'x-tenant-id': 'outage' });
    assert.equal((await http('GET', '/v1/items')).status, 200);

    await db.close();
    const port = store.ports.port ?? 0;
    const dataStore = await waitFor(
      async () => {
        const status = await healthOf(port, DATA_STORE_HEALTH);
        return status !== 'SERVING' && status;
      },
      { timeout: 10_000, interval: 100, what: `${DATA_STORE_HEALTH} to leave SERVING` },
    );
    assert.equal(dataStore, 'NOT_SERVING', 'the outage is reported');
    assert.equal(
      await healthOf(port, 'store.v1.StoreService'),
      'SERVING',
      'readiness (store.v1.StoreService) does not follow DynamoDB: every store pod shares it',
    );
    assert.equal(
      await healthOf(port, ''),
      'SERVING',
      'liveness ("") does not: a DynamoDB outage restarts nothing',
    );
    assert.equal(
      (await http('GET', '/readyz')).status,
      200,
      'the api can reach the store: it stays in rotation',
    );
    const call = await http('GET', '/v1/items');
    assert.equal(call.status, 503);
  });

  it('SIGTERM to api-service during a burst: every in-flight request completes', async () => {
    const dynamo = track(await startEmbeddedDynamo());
    const store = track(await startStore(dynamo));
    const slow: TcpProxy = track(await startTcpProxy(store.ports.port ?? 0));
    // As deployed: after SIGTERM the listener stays open for SHUTDOWN_DELAY_MS while
    // readiness fails, so requests still connecting when the signal lands are served too.
    const api = track(await startApi(slow.port, { SHUTDOWN_DELAY_MS: '1000' }));
    const http = httpClient(`http://127.0.0.1:${api.ports.port}`, { 'x-tenant-id': 'drain' });
    assert.equal((await http('GET', '/v1/items')).status, 200);

    slow.delayMs = 400;
    const sent = slow.received;
    const burst = Array.from({ length: 40 }, () => http('GET', '/v1/items'));
    // The signal lands while the burst's calls are in flight (held by the slow proxy).
    await waitFor(() => slow.received > sent, { timeout: 10_000, interval: 5, what: 'calls in flight' });
    const exit = api.stop('SIGTERM');
    const results = await Promise.allSettled(burst);
    const failures = results.filter((r) => r.status === 'rejected' || r.value.status !== 200);
    assert.equal(failures.length, 0, JSON.stringify(failures.slice(0, 3)));
    assert.equal(await exit, 0, 'api-service exits cleanly after draining');
    assert.equal((await api.waitForLog((l) => l.msg === 'draining')).signal, 'SIGTERM');
  });

  it('SIGTERM to store-service during a burst of writes: every call completes and every write is kept', async () => {
    const dynamo = track(await startEmbeddedDynamo());
    const slowDb: TcpProxy = track(await startTcpProxy(dynamo.port));
    const store = track(
      await startStoreAt(`http://127.0.0.1:${slowDb.port}`, 0, { SHUTDOWN_DELAY_MS: '1000' }),
    );
    const api = track(await startApi(store.ports.port ?? 0));
    const http = httpClient(`http://127.0.0.1:${api.ports.port}`, { 'x-tenant-id': 'drain-store' });
    assert.equal((await http('GET', '/v1/items')).status, 200);

    slowDb.delayMs = 300;
    const sent = slowDb.received;
    const burst = Array.from({ length: 30 }, (_, i) =>
      http('POST', '/v1/items', { body: { name: `w${i}`, price_cents: i, category: 'food' } }),
    );
    // The signal lands while the writes are in flight to DynamoDB (held by the slow proxy).
    await waitFor(() => slowDb.received > sent, { timeout: 10_000, interval: 5, what: 'writes in flight' });
    const exit = store.stop('SIGTERM');
    const results = await Promise.allSettled(burst);
    const statuses = results.map((r) => (r.status === 'fulfilled' ? r.value.status : 'rejected'));
    assert.deepEqual(
      statuses.filter((s) => s !== 201),
      [],
      'every write accepted before SIGTERM completes',
    );
    assert.equal(await exit, 0, 'store-service exits cleanly after draining');

    slowDb.delayMs = 0;
    const again = track(await startStore(dynamo));
    const api2 = track(await startApi(again.ports.port ?? 0));
    const list = await httpClient(`http://127.0.0.1:${api2.ports.port}`, { 'x-tenant-id': 'drain-store' })(
      'GET',
      '/v1/items?page_size=100',
    );
    assert.equal((list.body as { items: unknown[] }).items.length, 30, 'every acknowledged write is stored');
  });
});
