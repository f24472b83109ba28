// Tenants stay apart end to end (HTTP → api → gRPC → store → dynalite, real processes):
// through the api a user of tenant A never reaches tenant B's items, and a caller that
// skips the api (any pod that reaches the store's port) gets nothing without a token for
// the tenant it names, because the store verifies the forwarded token itself.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { type Stack, startStack } from 'local-runtime/stack';
import { Category, ItemStatus, StoreServiceClient } from 'store-contract';
import { httpClient } from 'test-harness/http';

describe('tenant isolation through the api and at the store', () => {
  let stack: Stack;
  let http: ReturnType<typeof httpClient>;
  let store: StoreServiceClient;
  let itemOfB: string;

  before(async () => {
    stack = await startStack({ edgePort: 0, dataDir: undefined });
    http = httpClient(stack.edgeUrl);
    store = new StoreServiceClient(
      `127.0.0.1:${stack.service('store-service').ports.port}`,
      grpc.credentials.createInsecure(),
    );
    const b = await http('POST', '/v1/items', {
      headers: { authorization: `Bearer ${await stack.token('tenant-b', { user: 'bob' })}` },
      body: { name: 'B only', price_cents: 100, category: 'books', inventory_count: 5 },
    });
    assert.equal(b.status, 201, b.text);
    itemOfB = (b.body as { id: string }).id;
  });
  after(async () => {
    store?.close();
    await stack?.stop();
  });

  it("a user of tenant A never reaches tenant B's items through the api", async () => {
    const a = { authorization: `Bearer ${await stack.token('tenant-a', { user: 'alice' })}` };
    for (const [method, path, body] of [
      ['GET', `/v1/items/${itemOfB}`, undefined],
      ['PATCH', `/v1/items/${itemOfB}`, { version: 1, name: 'taken' }],
      ['POST', `/v1/items/${itemOfB}/inventory`, { quantity_change: -5 }],
      ['DELETE', `/v1/items/${itemOfB}`, undefined],
    ] as const) {
      const r = await http(method, path, { headers: a, body });
      assert.equal(r.status, 404, `${method} ${path}: ${r.text}`);
    }
    const list = await http('GET', '/v1/items', { headers: a });
    assert.deepEqual((list.body as { items: unknown[] }).items, []);
    const named = await http('GET', `/v1/items/${itemOfB}`, { headers: { ...a, 'x-tenant-id': 'tenant-b' } });
    assert.equal(named.status, 403, 'naming tenant B with a token of tenant A');
    const mine = await http('GET', `/v1/items/${itemOfB}`, {
      headers: { authorization: `Bearer ${await stack.token('tenant-b')}` },
    });
    assert.equal(mine.status, 200, 'tenant B still sees its item unchanged');
    assert.deepEqual(
      [(mine.body as { name: string }).name, (mine.body as { inventory_count: number }).inventory_count],
      ['B only', 5],
    );
  });

  const code = (
    run: (metadata: grpc.Metadata, done: (err: grpc.ServiceError | null) => void) => void,
    token?: string,
  ) =>
    new Promise<string>((resolve) => {
      const metadata = new grpc.Metadata();
      if (token !== undefined) metadata.set('authorization', `Bearer ${token}`);
      run(metadata, (err) => resolve(grpc.status[err?.code ?? grpc.status.OK] ?? 'UNKNOWN'));
    });
  const deadline = () => ({ deadline: Date.now() + 5000 });

  it('a caller that skips the api can read, list, change or create nothing of a tenant without its token', async () => {
    const attempts = (token?: string) =>
      Promise.all([
        code((m, done) => store.getItem({ tenantId: 'tenant-b', id: itemOfB }, m, deadline(), done), token),
        code(
          (m, done) =>
            store.listItems(
              {
                tenantId: 'tenant-b',
                category: Category.CATEGORY_UNSPECIFIED,
                status: ItemStatus.ITEM_STATUS_UNSPECIFIED,
                search: '',
                pageSize: 10,
                pageToken: '',
              },
              m,
              deadline(),
              done,
            ),
          token,
        ),
        code(
          (m, done) =>
            store.updateInventory(
              {
                tenantId: 'tenant-b',
                id: itemOfB,
                quantityChange: -5,
                reason: '',
                userId: 'x',
                requestId: '',
              },
              m,
              deadline(),
              done,
            ),
          token,
        ),
        code(
          (m, done) =>
            store.createItem(
              {
                tenantId: 'tenant-b',
                requestId: '',
                name: 'planted',
                description: '',
                priceCents: 1,
                category: Category.CATEGORY_BOOKS,
                sku: '',
                inventoryCount: 1,
                tags: [],
                userId: 'x',
              },
              m,
              deadline(),
              done,
            ),
          token,
        ),
      ]);
    assert.deepEqual(await attempts(), Array(4).fill('UNAUTHENTICATED'), 'no token');
    assert.deepEqual(await attempts('not.a.token'), Array(4).fill('UNAUTHENTICATED'), 'a forged token');
    assert.deepEqual(
      await attempts(await stack.token('tenant-a')),
      Array(4).fill('PERMISSION_DENIED'),
      "another tenant's token",
    );
    const [get] = await attempts(await stack.token('tenant-b'));
    assert.equal(get, 'OK', "the tenant's own token");
  });
});
