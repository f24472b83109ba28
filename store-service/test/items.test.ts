// The store's use cases in process, on the in-memory repository (which passes the same
// contract tests as the DynamoDB one): validation, ids, idempotency, versions, stock.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { InMemoryItemRepository } from '../src/data/memory-repository.ts';
import { StoreError } from '../src/domain/errors.ts';
import { type CreateItemInput, ItemService } from '../src/domain/items.ts';

const base: CreateItemInput = {
  tenantId: 'shop',
  requestId: '',
  name: '  Dune  ',
  description: 'A desert planet',
  priceCents: 1299,
  category: 'books',
  sku: 'BK-1',
  inventoryCount: 2,
  tags: ['scifi', 'scifi', 'classic'],
  userId: '',
};

const rejects = (promise: Promise<unknown>, code: string, field?: string) =>
  assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof StoreError, String(err));
    assert.equal(err.code, code);
    if (field !== undefined) assert.equal(err.field, field);
    return true;
  });

describe('ItemService', () => {
  let items: ItemService;
  let clock: Date;
  beforeEach(() => {
    clock = new Date('2026-03-01T10:00:00.000Z');
    items = new ItemService(new InMemoryItemRepository(), { now: () => clock });
  });

  it('creates an item: trimmed name, unique tags, anonymous user, version 1, status from stock', async () => {
    const { item, created } = await items.create(base);
    assert.equal(created, true);
    assert.equal(item.name, 'Dune');
    assert.deepEqual(item.tags, ['scifi', 'classic']);
    assert.equal(item.createdBy, 'anonymous');
    assert.equal(item.version, 1);
    assert.equal(item.status, 'active');
    assert.equal(item.createdAt, '2026-03-01T10:00:00.000Z');
    const empty = await items.create({ ...base, inventoryCount: 0 });
    assert.equal(empty.item.status, 'out_of_stock');
  });

  it('a retried create with the same request id returns the first item; a different body is ALREADY_EXISTS', async () => {
    const first = await items.create({ ...base, requestId: 'req-1' });
    const retry = await items.create({ ...base, requestId: 'req-1' });
    assert.equal(retry.created, false);
    assert.deepEqual(retry.item, first.item);
    await rejects(
      items.create({ ...base, requestId: 'req-1', priceCents: 1 }),
      'already_exists',
      'request_id',
    );
    const otherTenant = await items.create({ ...base, tenantId: 'other', requestId: 'req-1' });
    assert.notEqual(otherTenant.item.id, first.item.id, 'request ids are per tenant');
  });

  it('refuses bad input naming the field', async () => {
    await rejects(items.create({ ...base, tenantId: 'no spaces' }), 'invalid_argument', 'tenant_id');
    await rejects(items.create({ ...base, name: ' ' }), 'invalid_argument', 'name');
    await rejects(items.create({ ...base, category: undefined }), 'invalid_argument', 'category');
    await rejects(items.create({ ...base, priceCents: -1 }), 'invalid_argument', 'price_cents');
    await rejects(items.create({ ...base, tags: ['UPPER'] }), 'invalid_argument', 'tags');
    await rejects(items.get('shop', 'not-a-uuid'), 'invalid_argument', 'id');
  });

  it('updates with optimistic concurrency: the stale version is ABORTED, a missing item NOT_FOUND', async () => {
    const { item } = await items.create(base);
    clock = new Date('2026-03-02T10:00:00.000Z');
    const updated = await items.update({
      tenantId: 'shop',
      id: item.id,
      expectedVersion: 1,
      userId: 'leto',
      changes: { priceCents: 999 },
    });
    assert.equal(updated.priceCents, 999);
    assert.equal(updated.version, 2);
    assert.equal(updated.updatedAt, '2026-03-02T10:00:00.000Z');
    assert.equal(updated.updatedBy, 'leto');
    await rejects(
      items.update({ tenantId: 'shop', id: item.id, expectedVersion: 1, userId: '', changes: { name: 'x' } }),
      'aborted',
    );
    await rejects(items.get('other', item.id), 'not_found');
  });

  it('deletes softly, once: the item stays readable as discontinued', async () => {
    const { item } = await items.create(base);
    const deleted = await items.delete('shop', item.id, '');
    assert.equal(deleted.status, 'discontinued');
    assert.deepEqual(await items.delete('shop', item.id, ''), deleted, 'deleting again changes nothing');
    assert.equal((await items.get('shop', item.id)).status, 'discontinued');
  });

  it('changes stock and refuses to go below zero with FAILED_PRECONDITION', async () => {
    const { item } = await items.create(base);
    const change = (quantityChange: number, requestId = '', reason = 'sold') => ({
      tenantId: 'shop',
      id: item.id,
      quantityChange,
      reason,
      userId: '',
      requestId,
    });
    const taken = await items.adjustInventory(change(-2, 'sale-1'));
    assert.deepEqual([taken.previousCount, taken.item.inventoryCount, taken.replayed], [2, 0, false]);
    assert.equal(taken.item.status, 'out_of_stock', 'status follows stock');
    const replay = await items.adjustInventory(change(-2, 'sale-1'));
    assert.deepEqual([replay.previousCount, replay.item.inventoryCount, replay.replayed], [2, 0, true]);
    await rejects(
      items.adjustInventory(change(-2, 'sale-1', 'other reason')),
      'already_exists',
      'request_id',
    );
    await rejects(items.adjustInventory(change(-1)), 'failed_precondition');
    await rejects(items.adjustInventory(change(0)), 'invalid_argument', 'quantity_change');
    await rejects(items.adjustInventory(change(2 ** 31)), 'invalid_argument', 'quantity_change');
  });

  it('a stock change the repository could not place under contention is UNAVAILABLE, saying nothing was changed', async () => {
    // The repository tried, met the item changing under every attempt, and applied nothing.
    class Contended extends InMemoryItemRepository {
      override async adjustInventory() {
        return { kind: 'contended', attempts: 5 } as const;
      }
    }
    const contended = new ItemService(new Contended(), { now: () => clock });
    const { item } = await contended.create(base);
    await assert.rejects(
      contended.adjustInventory({
        tenantId: 'shop',
        id: item.id,
        quantityChange: -1,
        reason: '',
        userId: '',
        requestId: 'k-1',
      }),
      (err: unknown) => {
        assert.ok(err instanceof StoreError, String(err));
        assert.equal(err.code, 'unavailable');
        // The gRPC layer answers it with outcome not_applied (test/status.test.ts); the words are for people.
        assert.match(err.message, /nothing was changed/);
        return true;
      },
    );
  });

  it('pages with tokens bound to tenant and filters', async () => {
    for (let i = 0; i < 7; i += 1) await items.create({ ...base, name: `Item ${i}` });
    const first = await items.list({
      tenantId: 'shop',
      category: 'books',
      status: undefined,
      search: '',
      pageSize: 5,
      pageToken: '',
    });
    assert.equal(first.items.length, 5);
    assert.notEqual(first.nextPageToken, '');
    const second = await items.list({
      tenantId: 'shop',
      category: 'books',
      status: undefined,
      search: '',
      pageSize: 5,
      pageToken: first.nextPageToken,
    });
    assert.equal(second.items.length, 2);
    assert.equal(second.nextPageToken, '');
    await rejects(
      items.list({
        tenantId: 'shop',
        category: 'toys',
        status: undefined,
        search: '',
        pageSize: 5,
        pageToken: first.nextPageToken,
      }),
      'invalid_argument',
      'page_token',
    );
  });
});
