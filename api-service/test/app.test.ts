// The api in process (fastify/demo style): buildApp against a fake store, requests with
// inject(). What the api itself decides is tested here: routes, validation, headers,
// error mapping, CORS, readiness. test/*.e2e.test.ts run the real processes.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { createLogger } from 'service-kit';
import { rawHttp } from 'test-harness/http';
import { type ApiApp, buildApp } from '../src/app.ts';
import { headerAuthenticator } from '../src/auth.ts';
import { type FakeStore, fakeStore, grpcError } from './fake-store.ts';

interface ItemJson {
  id: string;
  name: string;
  description: string;
  status: string;
  category: string;
  inventory_count: number;
  tags: string[];
  version: number;
  created_by: string;
  updated_by: string;
}

const identity = { service: 'api-service', track: 'stable', version: 'test' };
const t = { 'x-tenant-id': 'acme' };
const dune = {
  name: 'Dune',
  description: 'Desert planet',
  price_cents: 1299,
  category: 'books',
  inventory_count: 5,
};

describe('api in process', () => {
  let store: FakeStore;
  let api: ApiApp;
  let app: FastifyInstance;
  beforeEach(async () => {
    store = fakeStore();
    api = await buildApp({
      identity,
      store,
      // Routes and errors here; who may call is test/auth.test.ts.
      authenticate: headerAuthenticator(),
      logger: createLogger(identity, 'silent'),
      corsOrigins: ['https://shop.example.com'],
      readyDeadlineMs: 100,
    });
    app = api.app;
  });
  afterEach(async () => {
    await app.close();
  });

  const json = <T>(body: string) => JSON.parse(body) as T;
  const create = async (body: Record<string, unknown> = dune, headers: Record<string, string> = {}) => {
    const r = await app.inject({
      method: 'POST',
      url: '/v1/items',
      headers: { ...t, ...headers },
      payload: body,
    });
    assert.equal(r.statusCode, 201, r.body);
    return json<ItemJson>(r.body);
  };

  it('serves liveness, readiness that waits for the store once then follows draining only, and the OpenAPI document', async () => {
    assert.equal((await app.inject('/healthz')).statusCode, 200);
    store.serving = false;
    const waiting = await app.inject('/readyz');
    assert.equal(waiting.statusCode, 503);
    assert.deepEqual(json(waiting.body), { status: 'waiting for the store', store: 'unreachable' });
    store.serving = true;
    assert.equal((await app.inject('/readyz')).statusCode, 200, 'the store answered once');
    store.serving = false;
    const outage = await app.inject('/readyz');
    assert.equal(outage.statusCode, 200, 'a later store outage is not a reason to leave rotation');
    assert.deepEqual(json(outage.body), { status: 'ready' });
    const verbose = await app.inject('/readyz?verbose');
    assert.equal(verbose.statusCode, 200);
    assert.deepEqual(json(verbose.body), { status: 'ready', store: 'unreachable' }, 'but it is reported');
    store.serving = true;
    api.markNotReady();
    const draining = await app.inject('/readyz');
    assert.equal(draining.statusCode, 503);
    assert.deepEqual(json(draining.body), { status: 'draining' });
    const doc = json<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(
      (await app.inject('/openapi.json')).body,
    );
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

  it('creates, reads, replaces, patches, changes stock and discontinues, with Location and ETag', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/v1/items',
      headers: { ...t, 'x-user-id': 'alice' },
      payload: { ...dune, tags: ['sf'] },
    });
    assert.equal(created.statusCode, 201);
    const item = json<ItemJson>(created.body);
    assert.equal(created.headers.location, `/v1/items/${item.id}`);
    assert.equal(created.headers.etag, '"1"');
    assert.equal(item.created_by, 'alice');
    assert.equal(item.category, 'books');
    assert.equal(item.status, 'active');

    const got = await app.inject({ url: `/v1/items/${item.id}`, headers: t });
    assert.deepEqual(json(got.body), item);

    const put = await app.inject({
      method: 'PUT',
      url: `/v1/items/${item.id}`,
      headers: { ...t, 'if-match': '"1"' },
      payload: { name: 'Dune (hardcover)', price_cents: 2599, category: 'books' },
    });
    assert.equal(put.statusCode, 200, put.body);
    assert.equal(put.headers.etag, '"2"');
    assert.equal(json<ItemJson>(put.body).description, '', 'PUT resets omitted optional fields');
    assert.deepEqual(json<ItemJson>(put.body).tags, []);

    const patch = await app.inject({
      method: 'PATCH',
      url: `/v1/items/${item.id}`,
      headers: t,
      payload: { version: 2, tags: ['classic'] },
    });
    assert.equal(patch.statusCode, 200, patch.body);
    assert.equal(json<ItemJson>(patch.body).name, 'Dune (hardcover)', 'PATCH keeps fields it does not name');
    const update = store.calls.at(-1)?.request as { updateTags: boolean; description: unknown };
    assert.equal(update.updateTags, true);
    assert.equal(update.description, undefined, 'PATCH sends only what it names');

    const stock = await app.inject({
      method: 'POST',
      url: `/v1/items/${item.id}/inventory`,
      headers: t,
      payload: { quantity_change: -2, reason: 'sale' },
    });
    assert.equal(stock.statusCode, 200, stock.body);
    assert.deepEqual(
      {
        previous: json<{ previous_count: number }>(stock.body).previous_count,
        now: json<{ item: ItemJson }>(stock.body).item.inventory_count,
      },
      { previous: 5, now: 3 },
    );

    const del = await app.inject({ method: 'DELETE', url: `/v1/items/${item.id}`, headers: t });
    assert.equal(del.statusCode, 204);
    assert.equal(del.body, '');
    const list = json<{ items: ItemJson[]; next_page_token: string }>(
      (await app.inject({ url: '/v1/items?status=discontinued', headers: t })).body,
    );
    assert.deepEqual(
      list.items.map((i) => i.id),
      [item.id],
    );
  });

  it('maps every store status to one HTTP status and error code, without internals', async () => {
    const item = await create();
    const cases: Array<[status, number, string, string | undefined]> = [
      [status.INVALID_ARGUMENT, 400, 'invalid_argument', 'name: must not be empty'],
      [status.NOT_FOUND, 404, 'not_found', 'item x not found'],
      [status.ALREADY_EXISTS, 409, 'already_exists', 'request_id: was already used'],
      [status.ABORTED, 409, 'version_conflict', 'item is at version 3'],
      [status.FAILED_PRECONDITION, 409, 'failed_precondition', 'insufficient stock'],
      [status.UNAVAILABLE, 503, 'unavailable', undefined],
      [status.DEADLINE_EXCEEDED, 504, 'deadline_exceeded', undefined],
      [status.INTERNAL, 500, 'internal', undefined],
    ];
    for (const [code, httpStatus, errorCode, shown] of cases) {
      const field = code === status.INVALID_ARGUMENT ? 'name' : undefined;
      store.failNext('getItem', grpcError(code, shown ?? 'secret detail from the store', field));
      const r = await app.inject({ url: `/v1/items/${item.id}`, headers: t });
      assert.equal(r.statusCode, httpStatus, status[code]);
      const error = json<{ error: { code: string; message: string; field?: string } }>(r.body).error;
      assert.equal(error.code, errorCode);
      if (shown === undefined) assert.doesNotMatch(error.message, /secret/, 'no internals in 5xx');
      else assert.equal(error.message, shown);
      if (code === status.INVALID_ARGUMENT) assert.equal(error.field, 'name');
    }
  });

  it('refuses bad input on every endpoint with a 4xx JSON error before calling the store', async () => {
    const item = await create();
    const before = store.calls.length;
    const id = item.id;
    const cases: Array<[string, string, Record<string, string>, unknown, number]> = [
      ['POST', '/v1/items', { ...t, 'content-type': 'application/json' }, '{"name": "x",', 400],
      ['POST', '/v1/items', { ...t, 'content-type': 'text/plain' }, 'hello', 415],
      ['POST', '/v1/items', t, { name: 'x', price_cents: '5', category: 'books' }, 400],
      ['POST', '/v1/items', t, { name: 'x', price_cents: 5, category: 'cars' }, 400],
      ['POST', '/v1/items', t, { name: 'x', price_cents: 5, category: 'books', colour: 'red' }, 400],
      ['POST', '/v1/items', t, { name: '', price_cents: 5, category: 'books' }, 400],
      ['POST', '/v1/items', t, { name: 'x', price_cents: -1, category: 'books' }, 400],
      ['POST', '/v1/items', t, { name: 'x', price_cents: 1.5, category: 'books' }, 400],
      ['POST', '/v1/items', t, { name: 'x', price_cents: 1, category: 'books', tags: ['UPPER'] }, 400],
      ['POST', '/v1/items', t, [1, 2], 400],
      ['POST', '/v1/items', {}, { name: 'x', price_cents: 1, category: 'books' }, 400],
      ['POST', '/v1/items', { 'x-tenant-id': 'a/b' }, { name: 'x', price_cents: 1, category: 'books' }, 400],
      [
        'POST',
        '/v1/items',
        { ...t, 'x-user-id': 'bad user' },
        { name: 'x', price_cents: 1, category: 'books' },
        400,
      ],
      [
        'POST',
        '/v1/items',
        { ...t, 'idempotency-key': 'a' },
        { name: 'x', price_cents: 1, category: 'books', request_id: 'b' },
        400,
      ],
      ['GET', '/v1/items', {}, undefined, 400],
      ['GET', '/v1/items?page_size=0', t, undefined, 400],
      ['GET', '/v1/items?page_size=abc', t, undefined, 400],
      ['GET', '/v1/items?status=gone', t, undefined, 400],
      ['GET', '/v1/items?unknown=1', t, undefined, 400],
      ['GET', '/v1/items/not-a-uuid', t, undefined, 400],
      ['GET', `/v1/items/${id}`, {}, undefined, 400],
      ['PUT', `/v1/items/${id}`, t, { name: 'x', price_cents: 1, category: 'books' }, 428],
      [
        'PUT',
        `/v1/items/${id}`,
        { ...t, 'if-match': 'abc' },
        { name: 'x', price_cents: 1, category: 'books' },
        400,
      ],
      ['PUT', `/v1/items/${id}`, { ...t, 'if-match': '"1"' }, { name: 'x' }, 400],
      [
        'PUT',
        `/v1/items/${id}`,
        { ...t, 'if-match': '"1"' },
        { name: 'x', price_cents: 1, category: 'books', version: 2 },
        400,
      ],
      ['PATCH', `/v1/items/${id}`, { ...t, 'if-match': '"1"' }, {}, 400],
      ['PATCH', `/v1/items/${id}`, { ...t, 'if-match': '"1"' }, { id: 'x' }, 400],
      ['PATCH', `/v1/items/${id}`, { ...t, 'if-match': '"1"' }, { inventory_count: 5 }, 400],
      ['DELETE', '/v1/items/not-a-uuid', t, undefined, 400],
      ['POST', `/v1/items/${id}/inventory`, t, { quantity_change: 0 }, 400],
      ['POST', `/v1/items/${id}/inventory`, t, { quantity_change: 'many' }, 400],
      ['POST', `/v1/items/${id}/inventory`, t, {}, 400],
      ['POST', `/v1/items/${id}/inventory`, t, { quantity_change: 1, reason: 'x'.repeat(201) }, 400],
      ['POST', '/v1/items', t, { name: 'x'.repeat(1_100_000), price_cents: 1, category: 'books' }, 413],
      ['GET', '/v2/nothing', {}, undefined, 404],
    ];
    for (const [method, url, headers, payload, want] of cases) {
      const r = await app.inject({
        method: method as 'GET',
        url,
        headers,
        ...(payload === undefined ? {} : { payload: payload as string }),
      });
      const label = `${method} ${url.slice(0, 50)} ${JSON.stringify(payload ?? '').slice(0, 60)}`;
      assert.equal(r.statusCode, want, `${label} → ${r.statusCode} ${r.body.slice(0, 200)}`);
      const error = json<{ error?: { code?: unknown; message?: unknown } }>(r.body).error;
      assert.equal(typeof error?.code, 'string', `${label}: JSON error body`);
      assert.equal(typeof error?.message, 'string', `${label}: JSON error body`);
    }
    assert.equal(store.calls.length, before, 'the store was never called');
  });

  it('refuses numbers out of range in every integer field with 400 naming the field, before calling the store (1e19, -1e19, 1.5, 2**53)', async () => {
    const item = await create();
    const id = item.id;
    const before = store.calls.length;
    const v = { ...t, 'if-match': '"1"' };
    // Literal JSON, so the numbers reach the parser as a client wrote them.
    const out = ['1e19', '-1e19', '1.5', String(2 ** 53), '1e400', '-1e400'];
    const cases: Array<[string, string, Record<string, string>, string, string]> = [];
    for (const n of out) {
      cases.push(
        ['POST', '/v1/items', t, `{"name":"x","category":"books","price_cents":${n}}`, 'price_cents'],
        [
          'POST',
          '/v1/items',
          t,
          `{"name":"x","category":"books","price_cents":1,"inventory_count":${n}}`,
          'inventory_count',
        ],
        [
          'PUT',
          `/v1/items/${id}`,
          t,
          `{"name":"x","category":"books","price_cents":1,"version":${n}}`,
          'version',
        ],
        ['PATCH', `/v1/items/${id}`, t, `{"name":"x","version":${n}}`, 'version'],
        ['PATCH', `/v1/items/${id}`, v, `{"price_cents":${n}}`, 'price_cents'],
        ['POST', `/v1/items/${id}/inventory`, t, `{"quantity_change":${n}}`, 'quantity_change'],
      );
    }
    for (const n of ['1e19', '1.5', String(2 ** 53), '101', '999', '0', '-1', '01']) {
      cases.push(['GET', `/v1/items?page_size=${encodeURIComponent(n)}`, t, '', 'page_size']);
    }
    cases.push([
      'PATCH',
      `/v1/items/${id}`,
      { ...t, 'if-match': '"10000000000000000000"' },
      '{"name":"x"}',
      'if-match',
    ]);
    for (const [method, url, headers, payload, field] of cases) {
      const r = await app.inject({
        method: method as 'GET',
        url,
        headers: payload === '' ? headers : { ...headers, 'content-type': 'application/json' },
        ...(payload === '' ? {} : { payload }),
      });
      const label = `${method} ${url.slice(0, 30)} ${payload}`;
      assert.equal(r.statusCode, 400, `${label} → ${r.statusCode} ${r.body.slice(0, 200)}`);
      const error = json<{ error: { code: string; field?: string } }>(r.body).error;
      assert.equal(error.code, 'invalid_argument', label);
      assert.equal(error.field, field, label);
    }
    assert.equal(store.calls.length, before, 'the store was never called');
    // The largest exact values still pass to the store.
    const largest = await app.inject({
      method: 'PATCH',
      url: `/v1/items/${id}`,
      headers: { ...t, 'content-type': 'application/json' },
      payload: `{"name":"x","version":${Number.MAX_SAFE_INTEGER}}`,
    });
    assert.notEqual(largest.statusCode, 400, largest.body);
    const page = await app.inject({ url: '/v1/items?page_size=100', headers: t });
    assert.equal(page.statusCode, 200, page.body);
  });

  it('refuses a JSON body that is not UTF-8 text with 400, before calling the store, and keeps the text of one that is', async () => {
    const item = await create();
    const before = store.calls.length;
    const body = (name: Buffer | string) =>
      Buffer.concat([
        Buffer.from('{"name":"'),
        typeof name === 'string' ? Buffer.from(name, 'latin1') : name,
        Buffer.from('","price_cents":1,"category":"books"}'),
      ]);
    const invalid: Array<[string, Buffer]> = [
      ['C3 28 (a lead byte, then no continuation)', Buffer.from([0x61, 0xc3, 0x28, 0x62])],
      ['a lone continuation byte', Buffer.from([0x80])],
      ['overlong "/" (C0 AF)', Buffer.from([0xc0, 0xaf])],
      ['overlong "/" in three bytes (E0 80 AF)', Buffer.from([0xe0, 0x80, 0xaf])],
      ['overlong NUL (C0 80, modified UTF-8)', Buffer.from([0xc0, 0x80])],
      ['a lone surrogate encoded (CESU, ED A0 80)', Buffer.from([0xed, 0xa0, 0x80])],
      [
        'a surrogate pair encoded as two (CESU-8 of U+1F600)',
        Buffer.from([0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80]),
      ],
      ['past U+10FFFF (F4 90 80 80)', Buffer.from([0xf4, 0x90, 0x80, 0x80])],
      ['a five-byte form (F8 88 80 80 80)', Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80])],
      ['FF', Buffer.from([0xff])],
      ['a sequence cut short (E2 82)', Buffer.from([0xe2, 0x82])],
    ];
    const send = (
      method: 'POST' | 'PATCH',
      url: string,
      payload: Buffer,
      headers: Record<string, string> = t,
    ) => app.inject({ method, url, headers: { ...headers, 'content-type': 'application/json' }, payload });
    for (const [what, bytes] of invalid) {
      for (const [method, url, headers] of [
        ['POST', '/v1/items', t],
        ['PATCH', `/v1/items/${item.id}`, { ...t, 'if-match': '"1"' }],
      ] as const) {
        const r = await send(method, url, body(bytes), headers);
        assert.equal(r.statusCode, 400, `${what} (${method}) → ${r.statusCode} ${r.body}`);
        assert.deepEqual(json(r.body), {
          error: { code: 'invalid_argument', message: 'the body is not valid UTF-8' },
        });
      }
    }
    // Bytes that are valid UTF-8, carrying a half pair through a JSON escape.
    const escaped = await send('POST', '/v1/items', body('x\\ud800y'));
    assert.equal(escaped.statusCode, 400, escaped.body);
    assert.match(json<{ error: { message: string } }>(escaped.body).error.message, /lone surrogate/);
    const inKey = await send('POST', '/v1/items', Buffer.from('{"\\udc00":1}'));
    assert.equal(inKey.statusCode, 400, inKey.body);
    assert.equal(store.calls.length, before, 'the store was never called');

    // Valid text: multibyte, a pair escaped in JSON, a BOM; the name reaches the store as sent.
    const name = 'Dün\u00e9 – 東京 😀';
    const ok = await send('POST', '/v1/items', body(Buffer.from(name, 'utf8')));
    assert.equal(ok.statusCode, 201, ok.body);
    assert.equal(json<ItemJson>(ok.body).name, name);
    const pair = await send('POST', '/v1/items', body('\\ud83d\\ude00'));
    assert.equal(pair.statusCode, 201, pair.body);
    assert.equal(json<ItemJson>(pair.body).name, '😀');
    const bom = await send(
      'POST',
      '/v1/items',
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body('bom')]),
    );
    assert.equal(bom.statusCode, 201, bom.body);
    const empty = await send('POST', '/v1/items', Buffer.alloc(0));
    assert.equal(empty.statusCode, 400);
    assert.equal(json<{ error: { message: string } }>(empty.body).error.message, 'the JSON body is empty');
    const proto = await send('POST', '/v1/items', Buffer.from('{"__proto__":{"x":1},"name":"x"}'));
    assert.equal(proto.statusCode, 400, 'prototype poisoning is still refused');
  });

  it('says what is wrong in words: ranges, allowed values, the rule, the field the client sent', async () => {
    const item = await create();
    const message = async (options: InjectOptions) => {
      const r = await app.inject(options);
      return json<{ error: { code: string; message: string; field?: string } }>(r.body).error;
    };
    assert.deepEqual(await message({ url: '/v1/items?page_size=abc', headers: t }), {
      code: 'invalid_argument',
      message: 'querystring.page_size: must be a whole number from 1 to 100 (default 25)',
      field: 'page_size',
    });
    assert.equal(
      (await message({ url: '/v1/items?category=cars', headers: t })).message,
      'querystring.category: must be one of: books, electronics, clothing, home, toys, food, other',
    );
    assert.equal(
      (await message({ url: '/v1/items/not-a-uuid', headers: t })).message,
      'params.id: must be a UUID in lower-case hex',
    );
    assert.equal(
      (
        await message({
          method: 'POST',
          url: `/v1/items/${item.id}/inventory`,
          headers: t,
          payload: { quantity_change: 0 },
        })
      ).message,
      'body.quantity_change: must be a whole number from -2147483647 to 2147483647, not 0',
    );
    assert.equal(
      (await message({ method: 'POST', url: '/v1/items', headers: t, payload: { ...dune, price_cents: -1 } }))
        .message,
      'body.price_cents: must be from 0 to 1000000000000',
    );
    assert.equal(
      (await message({ url: '/v1/items', headers: {} })).message,
      'headers.x-tenant-id: is required',
    );
    assert.equal(
      (
        await message({
          method: 'POST',
          url: '/v1/items',
          headers: { ...t, 'content-type': 'text/plain' },
          payload: 'x',
        })
      ).message,
      'send the body as JSON, with Content-Type: application/json',
    );
    store.failNext(
      'createItem',
      grpcError(status.ALREADY_EXISTS, 'request_id: was already used', 'request_id'),
    );
    const reused = await message({
      method: 'POST',
      url: '/v1/items',
      headers: { ...t, 'idempotency-key': 'order-1' },
      payload: dune,
    });
    assert.equal(reused.field, 'Idempotency-Key');
    assert.match(reused.message, /^Idempotency-Key: was already used for a different item/);
  });

  it('answers CORS only for listed origins: preflights naming X-Canary, exposed canary headers', async () => {
    const preflight = (origin: string) =>
      app.inject({
        method: 'OPTIONS',
        url: '/v1/items',
        headers: {
          origin,
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'x-canary, x-tenant-id',
        },
      });
    const listed = await preflight('https://shop.example.com');
    assert.equal(listed.statusCode, 204);
    assert.equal(listed.headers['access-control-allow-origin'], 'https://shop.example.com');
    assert.match(String(listed.headers['access-control-allow-headers']), /x-canary/);
    const get = await app.inject({ url: '/v1/items', headers: { ...t, origin: 'https://shop.example.com' } });
    const exposed = String(get.headers['access-control-expose-headers']);
    for (const h of ['x-served-by', 'x-canary-echo', 'x-canary-error']) assert.match(exposed, new RegExp(h));
    const other = await preflight('https://evil.example');
    for (const name of Object.keys(other.headers))
      assert.doesNotMatch(name, /^access-control-allow-/, `no ${name} for an unlisted origin`);
    const otherGet = await app.inject({
      url: '/v1/items',
      headers: { ...t, origin: 'https://evil.example' },
    });
    assert.equal(otherGet.headers['access-control-allow-origin'], undefined);
  });

  it('answers every framework-level failure in the one JSON error shape, echoing nothing, with security headers', async () => {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as { port: number }).port;
    const cases: Array<[string, number, string]> = [
      [`GET /v1/items/${'a'.repeat(500)} HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: t\r\n`, 414, 'uri_too_long'],
      [`GET /v1/items HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n`, 431, 'headers_too_large'],
      [`GET /v1/items?q=${'c'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n`, 431, 'headers_too_large'],
      ['OPTIONS /v1/items HTTP/1.1\r\nHost: x\r\n', 404, 'not_found'],
      ['FOO /v1/items HTTP/1.1\r\nHost: x\r\n', 400, 'bad_request'],
      ['GET /v1/items/%zz HTTP/1.1\r\nHost: x\r\n', 400, 'invalid_argument'],
      ['GET /nowhere-secret-path HTTP/1.1\r\nHost: x\r\n', 404, 'not_found'],
    ];
    for (const [head, status, code] of cases) {
      const r = await rawHttp(port, `${head}Connection: close\r\n\r\n`);
      assert.equal(r.status, status, head.slice(0, 40));
      const body = JSON.parse(r.body) as { error: { code: string; message: string } };
      assert.equal(body.error.code, code, head.slice(0, 40));
      assert.doesNotMatch(r.body, /FST_|aaaaaaaaaa|secret-path|%zz/, 'no framework codes, no echoed input');
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
    }
    const items = await app.inject({ url: '/v1/items', headers: t });
    assert.equal(items.headers['cache-control'], 'no-store');
    assert.equal(items.headers['x-content-type-options'], 'nosniff');
  });

  it('echoes an accepted X-Canary, explains an ignored one, and names itself in X-Served-By', async () => {
    const ok = await app.inject({ url: '/v1/items', headers: { ...t, 'x-canary': ' 123 ' } });
    assert.equal(ok.headers['x-canary-echo'], '123');
    assert.equal(ok.headers['x-served-by'], 'api-service@stable (test)');
    const bad = await app.inject({ url: '/v1/items', headers: { ...t, 'x-canary': 'pr-1' } });
    assert.equal(bad.statusCode, 200, 'served as stable');
    assert.equal(bad.headers['x-canary-error'], 'not-a-pr-number');
    assert.equal(bad.headers['x-canary-echo'], undefined);
  });
});
