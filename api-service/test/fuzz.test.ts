// Property-based fuzzing (fast-check): the canary-key parser and the REST API never crash,
// never answer 5xx to bad input, and never propagate an invalid key.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseCanaryKey } from 'canary-context';
import fc from 'fast-check';
import { type Stack, startStack } from 'local-runtime/stack';
import { httpClient } from 'test-harness/http';

describe('canary-key parser (fast-check)', () => {
  it('never throws; accepts exactly the PR numbers, trimmed', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.array(fc.string(), { maxLength: 3 })),
        (raw) => {
          const parsed = parseCanaryKey(raw);
          if (parsed.kind === 'valid') {
            assert.match(parsed.key, /^[1-9][0-9]{0,9}$/);
            const single = Array.isArray(raw) ? raw.filter((v) => v.trim() !== '') : [raw];
            assert.equal(single.length, 1);
            assert.equal(single[0]?.replace(/^[ \t]+|[ \t]+$/g, ''), parsed.key);
          }
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('accepts every PR number however it is padded', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9_999_999_999 }),
        fc.string({ unit: fc.constantFrom(' ', '\t'), maxLength: 5 }),
        (pr, pad) => {
          assert.deepEqual(parseCanaryKey(`${pad}${pr}${pad}`), { kind: 'valid', key: String(pr) });
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('REST API under random input (fast-check, real processes)', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ edgePort: 0, dataDir: undefined });
  });
  after(async () => {
    await stack?.stop();
  });

  it('no 5xx, always the JSON error shape for 4xx, no invalid key echoed, and healthy afterwards', async () => {
    const http = httpClient(stack.edgeUrl, {}, stack.token);
    const json = fc.jsonValue({ maxDepth: 3 });
    const field = fc.constantFrom(
      'name',
      'price_cents',
      'category',
      'inventory_count',
      'tags',
      'version',
      'status',
      'quantity_change',
      'x',
    );
    const body = fc.oneof(json, fc.dictionary(field, json, { maxKeys: 6 }));
    const id = fc.oneof(fc.uuid(), fc.string({ maxLength: 40 }).map(encodeURIComponent));
    const path = fc.oneof(
      fc.constant('/v1/items'),
      id.map((i) => `/v1/items/${i}`),
      id.map((i) => `/v1/items/${i}/inventory`),
      fc
        .dictionary(
          fc.constantFrom('page_size', 'page_token', 'category', 'status', 'search', 'x'),
          fc.string({ maxLength: 30 }),
          { maxKeys: 4 },
        )
        .map((q) => `/v1/items?${new URLSearchParams(q)}`),
    );
    const header = fc.string({ maxLength: 30 }).filter((s) => /^[\x21-\x7e ]*$/.test(s));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE'),
        path,
        fc.option(body, { nil: undefined }),
        fc.record({
          tenant: fc.option(header, { nil: undefined }),
          canary: fc.option(header, { nil: undefined }),
          ifMatch: fc.option(header, { nil: undefined }),
        }),
        async (method, url, payload, h) => {
          const headers: Record<string, string> = {};
          if (h.tenant !== undefined) headers['x-tenant-id'] = h.tenant;
          if (h.canary !== undefined) headers['x-canary'] = h.canary;
          if (h.ifMatch !== undefined) headers['if-match'] = h.ifMatch;
          const sendBody = method !== 'GET' && method !== 'DELETE' && payload !== undefined;
          const r = await http(method, url, { headers, ...(sendBody ? { body: payload } : {}) });
          assert.ok(
            r.status < 500,
            `${method} ${url} ${JSON.stringify(headers)} → ${r.status} ${r.text.slice(0, 200)}`,
          );
          if (r.status >= 400) {
            const error = (r.body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
            assert.equal(typeof error?.code, 'string', `${method} ${url}: ${r.text.slice(0, 100)}`);
          }
          const echo = r.headers.get('x-canary-echo');
          if (echo !== null) assert.match(echo, /^[1-9][0-9]{0,9}$/);
          const parsed = parseCanaryKey(h.canary);
          if (parsed.kind !== 'valid') assert.equal(echo, null);
        },
      ),
      { numRuns: 300 },
    );
    assert.equal((await http('GET', '/healthz')).status, 200);
    assert.equal((await http('GET', '/readyz')).status, 200);
  });
});
