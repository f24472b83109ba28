// The OpenAPI document as tools nobody here wrote read it: Redocly's linter (recommended
// rules, no errors) and Stoplight Prism as a contract proxy in front of the real api,
// which flags any request or response the document does not describe.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Stack, startStack } from 'local-runtime/stack';
import { createLogger } from 'service-kit';
import { type HttpResult, httpClient } from 'test-harness/http';
import { buildApp } from '../src/app.ts';
import { headerAuthenticator } from '../src/auth.ts';
import { fakeStore } from './fake-store.ts';

const run = promisify(execFile);
const bin = (name: string) => fileURLToPath(new URL(`../../node_modules/.bin/${name}`, import.meta.url));

async function openapiDocument(): Promise<unknown> {
  const identity = { service: 'api-service', track: 'stable', version: 'test' };
  const { app } = await buildApp({
    identity,
    store: fakeStore(),
    authenticate: headerAuthenticator(),
    logger: createLogger(identity, 'silent'),
    corsOrigins: [],
    readyDeadlineMs: 100,
  });
  await app.ready();
  const doc = app.swagger();
  await app.close();
  return doc;
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });

describe('the OpenAPI document', () => {
  let dir: string;
  let file: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'openapi-'));
    file = join(dir, 'openapi.json');
    await writeFile(file, JSON.stringify(await openapiDocument(), null, 2));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('passes redocly lint (recommended rules) with no errors', async () => {
    const { stdout, stderr } = await run(bin('redocly'), ['lint', file, '--format=summary'], {
      timeout: 120_000,
    });
    assert.match(`${stdout}${stderr}`, /Your API description is valid/);
  });

  describe('through a contract proxy (Prism) in front of the real api', () => {
    let stack: Stack;
    let prism: ReturnType<typeof spawn>;
    let http: ReturnType<typeof httpClient>;
    const seen: string[] = [];
    before(async () => {
      stack = await startStack({ edgePort: 0, dataDir: undefined });
      const port = await freePort();
      prism = spawn(
        bin('prism'),
        [
          'proxy',
          file,
          stack.edgeUrl.replace('localhost', '127.0.0.1'),
          '--port',
          String(port),
          '--host',
          '127.0.0.1',
          '--errors',
        ],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('prism did not start')), 60_000);
        const onData = (chunk: Buffer) => {
          if (/Prism is listening/.test(chunk.toString())) {
            clearTimeout(timer);
            resolve();
          }
        };
        prism.stdout?.on('data', onData);
        prism.stderr?.on('data', onData);
      });
      http = httpClient(`http://127.0.0.1:${port}`, {}, stack.token);
    });
    after(async () => {
      prism?.kill('SIGTERM');
      await stack?.stop();
    });

    /** A call through Prism; any violation of the document fails the test. */
    const call = async (
      method: string,
      path: string,
      options: Parameters<typeof http>[2] = {},
    ): Promise<HttpResult> => {
      const r = await http(method, path, options);
      const violations = r.headers.get('sl-violations');
      seen.push(`${method} ${path} → ${r.status}`);
      assert.equal(violations, null, `${method} ${path} → ${r.status}: ${violations}`);
      return r;
    };

    it('CRUD, stock, errors and canary requests: every answer is one the document describes', async () => {
      const t = { 'x-tenant-id': 'contract' };
      const created = await call('POST', '/v1/items', {
        headers: { ...t, 'idempotency-key': 'c-1' },
        body: { name: 'Dune', price_cents: 1299, category: 'books', inventory_count: 2, tags: ['sf'] },
      });
      assert.equal(created.status, 201);
      const id = (created.body as { id: string }).id;
      assert.equal(
        (
          await call('POST', '/v1/items', {
            headers: { ...t, 'idempotency-key': 'c-1' },
            body: { name: 'Dune', price_cents: 1299, category: 'books', inventory_count: 2, tags: ['sf'] },
          })
        ).status,
        200,
      );
      assert.equal((await call('GET', `/v1/items/${id}`, { headers: t })).status, 200);
      assert.equal(
        (await call('GET', '/v1/items?category=books&page_size=5', { headers: { ...t, 'x-canary': '123' } }))
          .status,
        200,
      );
      assert.equal((await call('GET', '/v1/items', { headers: { ...t, 'x-canary': 'pr-1' } })).status, 200);
      assert.equal(
        (
          await call('PATCH', `/v1/items/${id}`, {
            headers: { ...t, 'if-match': '"1"' },
            body: { price_cents: 999 },
          })
        ).status,
        200,
      );
      assert.equal(
        (
          await call('PUT', `/v1/items/${id}`, {
            headers: { ...t, 'if-match': '"2"' },
            body: { name: 'Dune', price_cents: 1, category: 'books' },
          })
        ).status,
        200,
      );
      assert.equal(
        (
          await call('POST', `/v1/items/${id}/inventory`, {
            headers: { ...t, 'idempotency-key': 's-1' },
            body: { quantity_change: -1 },
          })
        ).status,
        200,
      );
      assert.equal(
        (await call('POST', `/v1/items/${id}/inventory`, { headers: t, body: { quantity_change: -5 } }))
          .status,
        409,
      );
      assert.equal(
        (
          await call('PATCH', `/v1/items/${id}`, {
            headers: { ...t, 'if-match': '"1"' },
            body: { price_cents: 5 },
          })
        ).status,
        409,
      );
      assert.equal(
        (await call('PATCH', `/v1/items/${id}`, { headers: t, body: { price_cents: 5 } })).status,
        428,
      );
      assert.equal(
        (await call('GET', '/v1/items/00000000-0000-4000-8000-000000000000', { headers: t })).status,
        404,
      );
      assert.equal((await call('DELETE', `/v1/items/${id}`, { headers: t })).status, 204);
      assert.equal(
        (await call('GET', '/v1/items', { headers: { authorization: 'Bearer not.a.token' } })).status,
        401,
      );
    });
  });
});
