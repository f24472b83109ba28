// End to end over real processes on loopback: HTTP → api-service → gRPC → store-service → dynalite.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Stack, startStack } from 'local-runtime/stack';
import { type HttpResult, httpClient, rawHttp } from 'test-harness/http';

interface Item {
  id: string;
  name: string;
  description: string;
  category: string;
  status: string;
  inventory_count: number;
  price_cents: number;
  tags: string[];
  version: number;
  sku: string;
  tenant_id: string;
  created_by: string;
  updated_by: string;
}
interface ItemList {
  items: Item[];
  next_page_token: string;
}

const errorCode = (r: HttpResult) => (r.body as { error?: { code?: string } }).error?.code;

describe('items API end to end', () => {
  let stack: Stack;
  let http: ReturnType<typeof httpClient>;
  const tenant = (t: string) => ({ 'x-tenant-id': t });

  before(async () => {
    // Correctness, not latency, is under test: generous deadlines so a loaded CI machine
    // serialising 200 writes on dynalite's lock does not turn into 504s.
    stack = await startStack({
      edgePort: 0,
      dataDir: undefined,
      env: { STORE_DEADLINE_MS: '15000', DYNAMODB_TIMEOUT_MS: '15000' },
    });
    http = httpClient(stack.edgeUrl, {}, stack.token);
  });
  after(async () => {
    await stack?.stop();
  });

  const create = async (t: string, body: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const r = await http('POST', '/v1/items', { headers: { ...tenant(t), ...headers }, body });
    assert.ok(r.status === 201 || r.status === 200, `create: ${r.status} ${r.text}`);
    return r;
  };

  it('round trip through both processes: create, read, update, list, with the store’s answers intact', async () => {
    // The author is the token's subject (X-User-ID counts only without an issuer).
    const created = await create(
      'acme',
      { name: 'Dune', price_cents: 1299, category: 'books', inventory_count: 5, tags: ['sf'] },
      { authorization: `Bearer ${await stack.token('acme', { user: 'alice' })}` },
    );
    assert.equal(created.status, 201);
    const item = created.body as Item;
    assert.match(item.id, /^[0-9a-f-]{36}$/);
    assert.equal(item.created_by, 'alice');
    assert.equal(item.status, 'active');
    assert.deepEqual((await http('GET', `/v1/items/${item.id}`, { headers: tenant('acme') })).body, item);
    const patch = await http('PATCH', `/v1/items/${item.id}`, {
      headers: { ...tenant('acme'), 'if-match': '"1"' },
      body: { price_cents: 999 },
    });
    assert.equal(patch.status, 200, patch.text);
    assert.equal((patch.body as Item).version, 2);
    const stale = await http('PATCH', `/v1/items/${item.id}`, {
      headers: { ...tenant('acme'), 'if-match': '"1"' },
      body: { price_cents: 1 },
    });
    assert.equal(stale.status, 409);
    assert.equal(errorCode(stale), 'version_conflict');
    const list = await http('GET', '/v1/items?category=books', { headers: tenant('acme') });
    assert.ok((list.body as ItemList).items.some((i) => i.id === item.id));
  });

  it('keeps tenants apart', async () => {
    const { body } = await create('tenant-a', { name: 'Secret', price_cents: 1, category: 'other' });
    const id = (body as Item).id;
    const other = await http('GET', `/v1/items/${id}`, { headers: tenant('tenant-b') });
    assert.equal(other.status, 404);
    assert.equal(errorCode(other), 'not_found');
    const list = await http('GET', '/v1/items', { headers: tenant('tenant-b') });
    assert.deepEqual((list.body as ItemList).items, []);
    const patch = await http('PATCH', `/v1/items/${id}`, {
      headers: tenant('tenant-b'),
      body: { version: 1, name: 'x' },
    });
    assert.equal(patch.status, 404);
  });

  it('pages through 260 items with filters: every match once, pages full, none missing', async () => {
    const t = 'paging';
    const categories = ['books', 'toys', 'food', 'home'];
    const expected = new Map<string, { category: string; status: string; name: string }>();
    for (let batch = 0; batch < 260; batch += 20) {
      const made = await Promise.all(
        Array.from({ length: 20 }, (_, j) => {
          const n = batch + j;
          const category = categories[n % 4] ?? 'books';
          const stocked = n % 3 !== 0;
          return create(t, {
            name: `${n % 10 === 0 ? 'Golden ' : ''}Item ${n}`,
            description: n % 7 === 0 ? 'has a MAGIC word' : 'plain',
            price_cents: n,
            category,
            inventory_count: stocked ? 1 : 0,
          });
        }),
      );
      for (const r of made) {
        const it = r.body as Item;
        expected.set(it.id, { category: it.category, status: it.status, name: it.name });
      }
    }
    assert.equal(expected.size, 260);

    const collect = async (query: string, pageSize: number) => {
      const seen: string[] = [];
      let token = '';
      let pages = 0;
      do {
        const r = await http(
          'GET',
          `/v1/items?page_size=${pageSize}${query}${token === '' ? '' : `&page_token=${encodeURIComponent(token)}`}`,
          { headers: tenant(t) },
        );
        assert.equal(r.status, 200, r.text);
        const page = r.body as ItemList;
        token = page.next_page_token;
        if (token !== '') assert.equal(page.items.length, pageSize, 'every page but the last is full');
        seen.push(...page.items.map((i) => i.id));
        pages += 1;
        assert.ok(pages < 100, 'paging terminates');
      } while (token !== '');
      return seen;
    };
    const check = async (
      query: string,
      pageSize: number,
      want: (e: { category: string; status: string; name: string }) => boolean,
    ) => {
      const ids = await collect(query, pageSize);
      const wanted = [...expected].filter(([, e]) => want(e)).map(([id]) => id);
      assert.equal(new Set(ids).size, ids.length, `${query}: no item twice`);
      assert.deepEqual([...ids].sort(), [...wanted].sort(), `${query}: exactly the matching items`);
      return ids.length;
    };
    assert.equal(await check('', 25, () => true), 260);
    assert.equal(await check('&category=toys', 7, (e) => e.category === 'toys'), 65);
    const outOfStockToys = await check(
      '&category=toys&status=out_of_stock',
      4,
      (e) => e.category === 'toys' && e.status === 'out_of_stock',
    );
    assert.ok(outOfStockToys > 0);
    await check('&status=out_of_stock', 9, (e) => e.status === 'out_of_stock');
    // Search: case-insensitive substring of name or description, with a page size the
    // filter makes hard to fill from one DynamoDB page.
    const magic = await collect('&search=magic', 3);
    assert.equal(magic.length, [...expected.keys()].filter((_, n) => n % 7 === 0).length);
    const golden = await check(
      '&search=GOLDEN&category=books',
      2,
      (e) => e.category === 'books' && e.name.startsWith('Golden'),
    );
    assert.ok(golden > 0);
  });

  it('rejects a page token from another query or tenant, and a forged one', async () => {
    const first = await http('GET', '/v1/items?page_size=2', { headers: tenant('paging') });
    const token = (first.body as ItemList).next_page_token;
    assert.notEqual(token, '');
    for (const [query, headers] of [
      [`?page_token=${token}&category=books`, tenant('paging')],
      [`?page_token=${token}`, tenant('acme')],
      ['?page_token=not-a-token', tenant('paging')],
      [`?page_token=${Buffer.from('{"v":1,"f":"x","k":{}}').toString('base64url')}`, tenant('paging')],
    ] as const) {
      const r = await http('GET', `/v1/items${query}`, { headers });
      assert.equal(r.status, 400, `${query}: ${r.text}`);
      assert.equal((r.body as { error: { field?: string } }).error.field, 'page_token');
    }
  });

  it('200 concurrent decrements of 1 on stock 100: exactly 100 succeed, 100 get 409, stock ends at 0', async () => {
    const { body } = await create('race', {
      name: 'Hot item',
      price_cents: 1,
      category: 'toys',
      inventory_count: 100,
    });
    const id = (body as Item).id;
    const results = await Promise.all(
      Array.from({ length: 200 }, () =>
        http('POST', `/v1/items/${id}/inventory`, { headers: tenant('race'), body: { quantity_change: -1 } }),
      ),
    );
    const statuses = results.map((r) => r.status);
    const tally = JSON.stringify(
      Object.groupBy(results, (r) => `${r.status} ${r.text.slice(0, 80)}`),
      (k, v) =>
        k === ''
          ? Object.fromEntries(Object.entries(v).map(([key, list]) => [key, (list as unknown[]).length]))
          : v,
    );
    assert.equal(statuses.filter((s) => s === 200).length, 100, tally);
    assert.equal(statuses.filter((s) => s === 409).length, 100);
    const previous = results
      .filter((r) => r.status === 200)
      .map((r) => (r.body as { previous_count: number }).previous_count);
    assert.deepEqual(
      [...previous].sort((a, b) => a - b),
      Array.from({ length: 100 }, (_, i) => i + 1),
      'each success took a distinct unit',
    );
    const final = await http('GET', `/v1/items/${id}`, { headers: tenant('race') });
    assert.equal((final.body as Item).inventory_count, 0);
  });

  it('two concurrent updates of the same version: one wins, one gets 409', async () => {
    const { body } = await create('race', { name: 'Contested', price_cents: 1, category: 'toys' });
    const id = (body as Item).id;
    const [a, b] = await Promise.all(
      ['first', 'second'].map((name) =>
        http('PATCH', `/v1/items/${id}`, {
          headers: { ...tenant('race'), 'if-match': '"1"' },
          body: { name },
        }),
      ),
    );
    assert.deepEqual([a?.status, b?.status].sort(), [200, 409]);
    const loser = a?.status === 409 ? a : b;
    assert.equal(loser && errorCode(loser), 'version_conflict');
    const final = await http('GET', `/v1/items/${id}`, { headers: tenant('race') });
    assert.equal((final.body as Item).version, 2);
  });

  it('repeated creates with one request id make one item', async () => {
    const body = { name: 'Once', price_cents: 5, category: 'food', request_id: 'order-42' };
    const results = await Promise.all(
      Array.from({ length: 10 }, () => http('POST', '/v1/items', { headers: tenant('idem'), body })),
    );
    const ids = new Set(results.map((r) => (r.body as Item).id));
    assert.equal(ids.size, 1);
    assert.deepEqual(results.map((r) => r.status).filter((s) => s === 201).length, 1);
    assert.ok(results.every((r) => r.status === 201 || r.headers.get('idempotent-replayed') === 'true'));
    const viaHeader = await http('POST', '/v1/items', {
      headers: { ...tenant('idem'), 'idempotency-key': 'order-42' },
      body: { name: 'Once', price_cents: 5, category: 'food' },
    });
    assert.equal(viaHeader.status, 200);
    assert.ok(ids.has((viaHeader.body as Item).id));
    const list = await http('GET', '/v1/items', { headers: tenant('idem') });
    assert.equal((list.body as ItemList).items.length, 1);
    const reused = await http('POST', '/v1/items', {
      headers: tenant('idem'),
      body: { ...body, name: 'Something else' },
    });
    assert.equal(reused.status, 409);
    assert.equal(errorCode(reused), 'already_exists');
  });

  it('closes malformed HTTP with 400 from the parser, not a crash', async () => {
    const r = await rawHttp(
      stack.service('api-service').ports.port ?? 0,
      'GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n',
    );
    assert.equal(r.status, 400);
    assert.equal((await http('GET', '/healthz')).status, 200);
  });
});

describe('the api’s store-call metrics', () => {
  it('counts each store call by method and status code, with its duration', async () => {
    const stack = await startStack({ edgePort: 0, dataDir: undefined });
    try {
      const http = httpClient(stack.edgeUrl, {}, stack.token);
      const missing = await http('GET', '/v1/items/00000000-0000-4000-8000-000000000000', {
        headers: { 'x-tenant-id': 'metrics' },
      });
      assert.equal(missing.status, 404);
      const listed = await http('GET', '/v1/items', { headers: { 'x-tenant-id': 'metrics' } });
      assert.equal(listed.status, 200);
      const text = await (
        await fetch(`http://127.0.0.1:${stack.service('api-service').ports.metrics_port}/metrics`)
      ).text();
      const sample = (name: string, method: string, code: string) =>
        new RegExp(
          `^${name}\\{[^}]*grpc_service="store.v1.StoreService",grpc_method="${method}",grpc_code="${code}"[^}]*\\} (\\d+)`,
          'm',
        ).exec(text)?.[1];
      assert.equal(sample('grpc_client_handled_total', 'GetItem', 'NOT_FOUND'), '1', text);
      assert.equal(sample('grpc_client_handled_total', 'ListItems', 'OK'), '1');
      assert.equal(sample('grpc_client_handling_seconds_count', 'ListItems', 'OK'), '1');
    } finally {
      await stack.stop();
    }
  });
});
