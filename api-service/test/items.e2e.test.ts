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
    http = httpClient(stack.edgeUrl);
  });
  after(async () => {
    await stack?.stop();
  });

  const create = async (t: string, body: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const r = await http('POST', '/v1/items', { headers: { ...tenant(t), ...headers }, body });
    assert.ok(r.status === 201 || r.status === 200, `create: ${r.status} ${r.text}`);
    return r;
  };

  it('serves health, readiness and the OpenAPI document', async () => {
    assert.equal((await http('GET', '/healthz')).status, 200);
    const ready = await http('GET', '/readyz');
    assert.equal(ready.status, 200, ready.text);
    const openapi = await http('GET', '/openapi.json');
    assert.equal(openapi.status, 200);
    const doc = openapi.body as { openapi: string; paths: Record<string, Record<string, unknown>> };
    assert.equal(doc.openapi, '3.1.0');
    assert.deepEqual(Object.keys(doc.paths['/v1/items'] ?? {}).sort(), ['get', 'post']);
    assert.deepEqual(Object.keys(doc.paths['/v1/items/{id}'] ?? {}).sort(), [
      'delete',
      'get',
      'patch',
      'put',
    ]);
    assert.ok(doc.paths['/v1/items/{id}/inventory']?.post);
  });

  it('creates, reads, replaces, patches, changes stock and discontinues an item', async () => {
    const created = await create(
      'acme',
      {
        name: 'Dune',
        description: 'Desert planet',
        price_cents: 1299,
        category: 'books',
        inventory_count: 5,
        tags: ['sf'],
      },
      { 'x-user-id': 'alice' },
    );
    assert.equal(created.status, 201);
    const item = created.body as Item;
    assert.match(item.id, /^[0-9a-f-]{36}$/);
    assert.equal(created.headers.get('location'), `/v1/items/${item.id}`);
    assert.equal(created.headers.get('etag'), '"1"');
    assert.deepEqual(
      { ...item, id: undefined },
      {
        ...item,
        id: undefined,
        tenant_id: 'acme',
        name: 'Dune',
        category: 'books',
        status: 'active',
        inventory_count: 5,
        created_by: 'alice',
        version: 1,
      },
    );

    const got = await http('GET', `/v1/items/${item.id}`, { headers: tenant('acme') });
    assert.equal(got.status, 200);
    assert.deepEqual(got.body, item);

    const put = await http('PUT', `/v1/items/${item.id}`, {
      headers: { ...tenant('acme'), 'if-match': '"1"', 'x-user-id': 'bob' },
      body: { name: 'Dune (hardcover)', price_cents: 2599, category: 'books' },
    });
    assert.equal(put.status, 200, put.text);
    const replaced = put.body as Item;
    assert.equal(replaced.version, 2);
    assert.equal(replaced.description, '', 'PUT resets omitted optional fields');
    assert.deepEqual(replaced.tags, []);
    assert.equal(replaced.updated_by, 'bob');
    assert.equal(put.headers.get('etag'), '"2"');

    const patch = await http('PATCH', `/v1/items/${item.id}`, {
      headers: tenant('acme'),
      body: { version: 2, tags: ['classic', 'sf'], status: 'out_of_stock' },
    });
    assert.equal(patch.status, 200, patch.text);
    assert.deepEqual((patch.body as Item).tags, ['classic', 'sf']);
    assert.equal((patch.body as Item).name, 'Dune (hardcover)', 'PATCH keeps fields it does not name');
    assert.equal((patch.body as Item).version, 3);

    const stock = await http('POST', `/v1/items/${item.id}/inventory`, {
      headers: tenant('acme'),
      body: { quantity_change: -2, reason: 'sale' },
    });
    assert.equal(stock.status, 200, stock.text);
    assert.equal((stock.body as { previous_count: number }).previous_count, 5);
    assert.equal((stock.body as { item: Item }).item.inventory_count, 3);

    const tooMany = await http('POST', `/v1/items/${item.id}/inventory`, {
      headers: tenant('acme'),
      body: { quantity_change: -4 },
    });
    assert.equal(tooMany.status, 409);
    assert.equal(errorCode(tooMany), 'failed_precondition');

    const del = await http('DELETE', `/v1/items/${item.id}`, { headers: tenant('acme') });
    assert.equal(del.status, 204);
    assert.equal(del.text, '');
    const after = await http('GET', `/v1/items/${item.id}`, { headers: tenant('acme') });
    assert.equal((after.body as Item).status, 'discontinued', 'delete is soft');
    assert.equal((await http('DELETE', `/v1/items/${item.id}`, { headers: tenant('acme') })).status, 204);
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

  it('answers bad input on every endpoint with a 4xx JSON error, never 5xx, and stays healthy', async () => {
    const { body } = await create('bad', {
      name: 'Target',
      price_cents: 1,
      category: 'toys',
      inventory_count: 1,
    });
    const id = (body as Item).id;
    const t = tenant('bad');
    const json = { 'content-type': 'application/json' };
    const cases: Array<
      [string, string, { headers?: Record<string, string>; body?: unknown; rawBody?: string }, number]
    > = [
      ['POST', '/v1/items', { headers: { ...t, ...json }, rawBody: '{"name": "x",' }, 400],
      ['POST', '/v1/items', { headers: { ...t, ...json }, rawBody: '' }, 400],
      ['POST', '/v1/items', { headers: { ...t, 'content-type': 'text/plain' }, rawBody: 'hello' }, 415],
      ['POST', '/v1/items', { headers: t, body: { name: 'x', price_cents: '5', category: 'books' } }, 400],
      ['POST', '/v1/items', { headers: t, body: { name: 'x', price_cents: 5, category: 'cars' } }, 400],
      [
        'POST',
        '/v1/items',
        { headers: t, body: { name: 'x', price_cents: 5, category: 'books', colour: 'red' } },
        400,
      ],
      ['POST', '/v1/items', { headers: t, body: { name: '', price_cents: 5, category: 'books' } }, 400],
      ['POST', '/v1/items', { headers: t, body: { name: 'x', price_cents: -1, category: 'books' } }, 400],
      ['POST', '/v1/items', { headers: t, body: { name: 'x', price_cents: 1.5, category: 'books' } }, 400],
      [
        'POST',
        '/v1/items',
        { headers: t, body: { name: 'x', price_cents: 1, category: 'books', tags: ['UPPER'] } },
        400,
      ],
      ['POST', '/v1/items', { headers: t, body: [1, 2] }, 400],
      ['POST', '/v1/items', { body: { name: 'x', price_cents: 1, category: 'books' } }, 400],
      [
        'POST',
        '/v1/items',
        { headers: { 'x-tenant-id': 'a/b' }, body: { name: 'x', price_cents: 1, category: 'books' } },
        400,
      ],
      [
        'POST',
        '/v1/items',
        {
          headers: { ...t, 'x-user-id': 'bad user' },
          body: { name: 'x', price_cents: 1, category: 'books' },
        },
        400,
      ],
      ['GET', '/v1/items', {}, 400],
      ['GET', '/v1/items?page_size=0', { headers: t }, 400],
      ['GET', '/v1/items?page_size=101', { headers: t }, 400],
      ['GET', '/v1/items?page_size=abc', { headers: t }, 400],
      ['GET', '/v1/items?status=gone', { headers: t }, 400],
      ['GET', '/v1/items?unknown=1', { headers: t }, 400],
      ['GET', '/v1/items?page_token=%00%01', { headers: t }, 400],
      ['GET', '/v1/items/not-a-uuid', { headers: t }, 400],
      ['GET', '/v1/items/00000000-0000-4000-8000-000000000000', { headers: t }, 404],
      ['GET', `/v1/items/${id}`, {}, 400],
      ['PUT', `/v1/items/${id}`, { headers: t, body: { name: 'x', price_cents: 1, category: 'books' } }, 428],
      [
        'PUT',
        `/v1/items/${id}`,
        { headers: { ...t, 'if-match': 'abc' }, body: { name: 'x', price_cents: 1, category: 'books' } },
        400,
      ],
      ['PUT', `/v1/items/${id}`, { headers: { ...t, 'if-match': '"1"' }, body: { name: 'x' } }, 400],
      [
        'PUT',
        `/v1/items/${id}`,
        { headers: { ...t, 'if-match': '"9"' }, body: { name: 'x', price_cents: 1, category: 'books' } },
        409,
      ],
      [
        'PUT',
        `/v1/items/${id}`,
        {
          headers: { ...t, 'if-match': '"1"' },
          body: { name: 'x', price_cents: 1, category: 'books', version: 2 },
        },
        400,
      ],
      ['PATCH', `/v1/items/${id}`, { headers: { ...t, 'if-match': '"1"' }, body: {} }, 400],
      ['PATCH', `/v1/items/${id}`, { headers: { ...t, 'if-match': '"1"' }, body: { id: 'x' } }, 400],
      [
        'PATCH',
        `/v1/items/${id}`,
        { headers: { ...t, 'if-match': '"1"' }, body: { inventory_count: 5 } },
        400,
      ],
      [
        'PATCH',
        '/v1/items/00000000-0000-4000-8000-000000000000',
        { headers: t, body: { version: 1, name: 'x' } },
        404,
      ],
      ['DELETE', '/v1/items/not-a-uuid', { headers: t }, 400],
      ['DELETE', '/v1/items/00000000-0000-4000-8000-000000000000', { headers: t }, 404],
      ['POST', `/v1/items/${id}/inventory`, { headers: t, body: { quantity_change: 0 } }, 400],
      ['POST', `/v1/items/${id}/inventory`, { headers: t, body: { quantity_change: 'many' } }, 400],
      ['POST', `/v1/items/${id}/inventory`, { headers: t, body: {} }, 400],
      [
        'POST',
        `/v1/items/${id}/inventory`,
        { headers: t, body: { quantity_change: 1, reason: 'x'.repeat(201) } },
        400,
      ],
      [
        'POST',
        '/v1/items/00000000-0000-4000-8000-000000000000/inventory',
        { headers: t, body: { quantity_change: 1 } },
        404,
      ],
      ['GET', '/v2/nothing', {}, 404],
    ];
    for (const [method, path, options, want] of cases) {
      const r = await http(method, path, options);
      const label = `${method} ${path.slice(0, 60)} ${JSON.stringify(options).slice(0, 80)}`;
      assert.equal(r.status, want, `${label} → ${r.status} ${r.text.slice(0, 200)}`);
      const error = (r.body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
      assert.equal(typeof error?.code, 'string', `${label}: JSON error body`);
      assert.equal(typeof error?.message, 'string', `${label}: JSON error body`);
    }
    // A body over the 1 MiB limit: 413 as JSON, while the client is still uploading (a
    // raw socket, because fetch reports the early answer as a failed upload).
    const big = JSON.stringify({ name: 'x'.repeat(1_100_000), price_cents: 1, category: 'books' });
    const tooLarge = await rawHttp(
      Number(new URL(stack.edgeUrl).port),
      `POST /v1/items HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: bad\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(big)}\r\nConnection: close\r\n\r\n${big}`,
    );
    assert.equal(tooLarge.status, 413);
    assert.equal((JSON.parse(tooLarge.body) as { error: { code: string } }).error.code, 'payload_too_large');
    assert.equal((await http('GET', '/readyz')).status, 200);
    const still = await http('GET', `/v1/items/${id}`, { headers: t });
    assert.equal((still.body as Item).version, 1, 'no bad request changed the item');
  });

  it('answers CORS preflights that name X-Canary and exposes the canary headers', async () => {
    const r = await http('OPTIONS', '/v1/items', {
      headers: {
        origin: 'http://localhost:3000',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'x-canary, x-tenant-id',
      },
    });
    assert.equal(r.status, 204);
    assert.match(r.headers.get('access-control-allow-headers') ?? '', /x-canary/);
    const get = await http('GET', '/v1/items', {
      headers: { ...tenant('acme'), origin: 'http://localhost:3000' },
    });
    const exposed = get.headers.get('access-control-expose-headers') ?? '';
    for (const h of ['x-served-by', 'x-canary-echo', 'x-canary-error']) assert.match(exposed, new RegExp(h));
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
