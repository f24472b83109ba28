// DynamoDB faults between the store and its table: latency, throttling and connection
// resets. Retries are bounded, clients get clear errors, and no write is partial or doubled.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type EmbeddedDynamo, startEmbeddedDynamo } from 'local-runtime/dynalite';
import type { ServiceProcess } from 'local-runtime/process';
import { startApi, startStore } from 'local-runtime/services';
import { type FaultProxy, startFaultProxy } from 'test-harness/dynamo-faults';
import { httpClient } from 'test-harness/http';

describe('DynamoDB faults', () => {
  let dynamo: EmbeddedDynamo;
  let faults: FaultProxy;
  let store: ServiceProcess;
  let api: ServiceProcess;
  let http: ReturnType<typeof httpClient>;

  before(async () => {
    dynamo = await startEmbeddedDynamo();
    faults = await startFaultProxy(dynamo.endpoint);
    // DYNAMODB_MAX_ATTEMPTS=3: at most two retries per operation.
    store = await startStore(faults.endpoint, { DYNAMODB_MAX_ATTEMPTS: '3' });
    api = await startApi(store.ports.port ?? 0, { STORE_DEADLINE_MS: '10000' });
    http = httpClient(`http://127.0.0.1:${api.ports.port}`, { 'x-tenant-id': 'faults' });
  });
  after(async () => {
    await api?.stop();
    await store?.stop();
    await faults?.close();
    await dynamo?.close();
  });

  const stockOf = async (id: string) =>
    ((await http('GET', `/v1/items/${id}`)).body as { inventory_count: number }).inventory_count;

  it('latency: every request still succeeds, just slower', async () => {
    faults.plan.latencyMs = 150;
    const started = Date.now();
    const created = await http('POST', '/v1/items', {
      body: { name: 'Slow', price_cents: 1, category: 'home', inventory_count: 5 },
    });
    faults.plan.latencyMs = 0;
    assert.equal(created.status, 201);
    assert.ok(Date.now() - started >= 150, 'the latency was on the path');
  });

  it('throttling: retried with backoff within the attempt bound, every write applied exactly once', async () => {
    const created = await http('POST', '/v1/items', {
      body: { name: 'Busy', price_cents: 1, category: 'home', inventory_count: 1000 },
    });
    const id = (created.body as { id: string }).id;
    Object.assign(faults.plan, { throttleEvery: 3, operations: ['UpdateItem', 'PutItem'] });
    const before = { ...faults.forwarded };
    const results = [];
    for (let i = 0; i < 30; i += 1) {
      results.push(await http('POST', `/v1/items/${id}/inventory`, { body: { quantity_change: -1 } }));
      results.push(
        await http('POST', '/v1/items', {
          body: { name: `n${i}`, price_cents: 1, category: 'toys', request_id: `throttle-${i}` },
        }),
      );
    }
    faults.plan.throttleEvery = 0;
    assert.deepEqual(
      results.filter((r) => r.status >= 300).map((r) => r.status),
      [],
      'throttling is absorbed by retries',
    );
    assert.ok((faults.throttled.UpdateItem ?? 0) >= 9, `throttled ${JSON.stringify(faults.throttled)}`);
    // Applied exactly once each: 30 decrements, 30 creates (plus nothing twice).
    assert.equal(await stockOf(id), 970);
    assert.equal((faults.forwarded.UpdateItem ?? 0) - (before.UpdateItem ?? 0), 30);
    assert.equal((faults.forwarded.PutItem ?? 0) - (before.PutItem ?? 0), 30);
  });

  it('reset after the write landed: 503 outcome_unknown, never retried, never applied twice', async () => {
    const created = await http('POST', '/v1/items', {
      body: { name: 'Flaky', price_cents: 1, category: 'home', inventory_count: 100 },
    });
    const id = (created.body as { id: string }).id;
    Object.assign(faults.plan, { resetAfterEvery: 4, operations: ['UpdateItem'] });
    const appliedBefore = faults.forwarded.UpdateItem ?? 0;
    const statuses: number[] = [];
    const messages = new Set<string>();
    for (let i = 0; i < 20; i += 1) {
      const r = await http('POST', `/v1/items/${id}/inventory`, { body: { quantity_change: -1 } });
      statuses.push(r.status);
      if (r.status !== 200) messages.add((r.body as { error: { code: string; message: string } }).error.code);
    }
    faults.plan.resetAfterEvery = 0;
    const applied = (faults.forwarded.UpdateItem ?? 0) - appliedBefore;
    assert.equal(applied, 20, 'each request reached the table once: no retry after a reset');
    assert.equal(statuses.filter((s) => s === 503).length, 5, `statuses ${statuses}`);
    assert.equal(statuses.filter((s) => s === 200).length, 15);
    assert.deepEqual([...messages], ['outcome_unknown']);
    assert.equal(await stockOf(id), 80, 'every applied decrement counted once, none doubled');
    assert.equal((await http('GET', '/readyz')).status, 200, 'the store recovers by itself');
  });

  it('an unknown outcome retried with the same Idempotency-Key is applied once', async () => {
    const created = await http('POST', '/v1/items', {
      body: { name: 'Keyed', price_cents: 1, category: 'home', inventory_count: 50 },
    });
    const id = (created.body as { id: string }).id;
    Object.assign(faults.plan, { resetAfterEvery: 1, operations: ['UpdateItem'] });
    const first = await http('POST', `/v1/items/${id}/inventory`, {
      headers: { 'idempotency-key': 'sale-7' },
      body: { quantity_change: -5 },
    });
    faults.plan.resetAfterEvery = 0;
    assert.equal(first.status, 503);
    const error = (first.body as { error: { code: string; message: string } }).error;
    assert.equal(error.code, 'outcome_unknown');
    assert.match(error.message, /may have been applied\. Retry with the same Idempotency-Key/);
    const retry = await http('POST', `/v1/items/${id}/inventory`, {
      headers: { 'idempotency-key': 'sale-7' },
      body: { quantity_change: -5 },
    });
    assert.equal(retry.status, 200, retry.text);
    assert.equal(retry.headers.get('idempotent-replayed'), 'true');
    assert.equal((retry.body as { previous_count: number }).previous_count, 50);
    assert.equal(await stockOf(id), 45, 'applied once');
    const reused = await http('POST', `/v1/items/${id}/inventory`, {
      headers: { 'idempotency-key': 'sale-7' },
      body: { quantity_change: -6 },
    });
    assert.equal(reused.status, 409);
    assert.equal((reused.body as { error: { field: string } }).error.field, 'Idempotency-Key');
  });
});
