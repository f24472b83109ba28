// store-service over gRPC as any client sees it: health, reflection, status codes,
// the field at fault, and the served-by trailer.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { type EmbeddedDynamo, startEmbeddedDynamo } from 'local-runtime/dynalite';
import { type LocalIssuer, startIssuer } from 'local-runtime/issuer';
import { type ServiceProcess, startService } from 'local-runtime/process';
import { startStore } from 'local-runtime/services';
import { Category, readErrorDetails } from 'store-contract';
import { waitFor } from 'test-harness/wait';
import { bearer, connectStore } from './store-client.ts';

const require = createRequire(import.meta.url);

describe('store-service over gRPC', () => {
  let dynamo: EmbeddedDynamo;
  let issuer: LocalIssuer;
  let store: ServiceProcess;
  let client: ReturnType<typeof connectStore>;

  before(async () => {
    dynamo = await startEmbeddedDynamo();
    // The store verifies the caller's token, as in the lab and the cluster.
    issuer = await startIssuer();
    store = await startStore(dynamo, {
      ...issuer.env,
      DEPLOYMENT_TRACK: 'pr-7',
      APP_VERSION: 'pr-7-0123abcd',
    });
    client = connectStore(store.ports.port ?? 0, (tenant) => issuer.token(tenant));
  });
  after(async () => {
    client?.client.close();
    await store?.stop();
    await dynamo?.close();
    await issuer?.close();
  });

  const newItem = {
    tenantId: 't1',
    requestId: '',
    name: 'Widget',
    description: '',
    priceCents: 100,
    category: Category.CATEGORY_HOME,
    sku: 'W-1',
    inventoryCount: 2,
    tags: [],
    userId: '',
  };

  it('answers grpc.health.v1 SERVING for the server and store.v1.StoreService', async () => {
    const def = loadSync(require.resolve('grpc-health-check/proto/health/v1/health.proto'));
    const Health = grpc.makeGenericClientConstructor(
      def['grpc.health.v1.Health'] as grpc.ServiceDefinition,
      'Health',
    );
    const health = new Health(
      `127.0.0.1:${store.ports.port}`,
      grpc.credentials.createInsecure(),
    ) as unknown as {
      check(r: { service: string }, cb: (e: Error | null, res: { status: string | number }) => void): void;
      close(): void;
    };
    for (const service of ['', 'store.v1.StoreService']) {
      let status: string | number = 'UNKNOWN';
      await waitFor(
        async () => {
          status = await new Promise<string | number>((resolve, reject) =>
            health.check({ service }, (e, res) => (e ? reject(e) : resolve(res.status))),
          );
          return status === 'SERVING' || status === 1;
        },
        { timeout: 5000, interval: 100, what: () => `${service || '(server)'} SERVING, last ${status}` },
      );
    }
    health.close();
  });

  it('lists its services through server reflection', async () => {
    const def = loadSync(require.resolve('@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto'));
    const Reflection = grpc.makeGenericClientConstructor(
      def['grpc.reflection.v1.ServerReflection'] as grpc.ServiceDefinition,
      'ServerReflection',
    );
    const reflection = new Reflection(
      `127.0.0.1:${store.ports.port}`,
      grpc.credentials.createInsecure(),
    ) as unknown as {
      serverReflectionInfo(): grpc.ClientDuplexStream<
        object,
        { listServicesResponse?: { service: { name: string }[] } }
      >;
      close(): void;
    };
    const stream = reflection.serverReflectionInfo();
    const answer = new Promise<string[]>((resolve, reject) => {
      stream.on('data', (msg) =>
        resolve((msg.listServicesResponse?.service ?? []).map((s: { name: string }) => s.name)),
      );
      stream.on('error', reject);
    });
    stream.write({ listServices: '' });
    const names = await answer;
    stream.end();
    reflection.close();
    assert.ok(names.includes('store.v1.StoreService'), names.join(','));
  });

  it('serves Prometheus metrics on its own listener, labelled with the track (service comes from the scrape target)', async () => {
    const response = await fetch(`http://127.0.0.1:${store.ports.metrics_port}/metrics`);
    assert.equal(response.status, 200);
    const text = await response.text();
    assert.match(text, /^process_cpu_user_seconds_total\{track="pr-7"\} /m);
    assert.doesNotMatch(text, /\bservice="/, 'a service label of its own would become exported_service');
    assert.notEqual(store.ports.metrics_port, store.ports.port);
  });

  it('returns its served-by entry in the trailers', async () => {
    const { trailers } = await client.call(client.client.createItem, newItem);
    assert.deepEqual(trailers.get('x-served-by'), ['store-service@pr-7 (sha 0123abc)']);
  });

  it('maps domain outcomes to gRPC codes and names the field of an INVALID_ARGUMENT', async () => {
    const { response } = await client.call(client.client.createItem, { ...newItem, inventoryCount: 1 });
    const id = response.item?.id ?? '';
    const expectCode = async (promise: Promise<unknown>, code: grpc.status, field?: string) => {
      await assert.rejects(promise, (err: grpc.ServiceError) => {
        assert.equal(err.code, code, `${grpc.status[err.code]}: ${err.details}`);
        const details = readErrorDetails(err.metadata);
        assert.equal(details.outcome, 'not_applied', 'a refusal says nothing was changed');
        if (field !== undefined) {
          assert.equal(details.field, field);
          assert.match(err.details, new RegExp(`^${field}: `));
        }
        assert.deepEqual(err.metadata.get('x-served-by'), ['store-service@pr-7 (sha 0123abc)']);
        return true;
      });
    };
    const c = client.client;
    await expectCode(
      client.call(c.createItem, { ...newItem, name: ' ' }),
      grpc.status.INVALID_ARGUMENT,
      'name',
    );
    await expectCode(
      client.call(c.createItem, { ...newItem, category: 0 }),
      grpc.status.INVALID_ARGUMENT,
      'category',
    );
    await expectCode(
      client.call(c.createItem, { ...newItem, category: 99 as Category }),
      grpc.status.INVALID_ARGUMENT,
      'category',
    );
    // tenant_id must be the token's tenant: an empty one (or any other) is refused before
    // it is validated.
    await expectCode(
      client.call(c.createItem, { ...newItem, tenantId: '' }, bearer(await issuer.token('t1'))),
      grpc.status.PERMISSION_DENIED,
    );
    await expectCode(
      client.call(c.createItem, { ...newItem, priceCents: -5 }),
      grpc.status.INVALID_ARGUMENT,
      'price_cents',
    );
    await expectCode(
      client.call(c.getItem, { tenantId: 't1', id: 'nope' }),
      grpc.status.INVALID_ARGUMENT,
      'id',
    );
    await expectCode(
      client.call(c.getItem, { tenantId: 't1', id: '00000000-0000-4000-8000-000000000000' }),
      grpc.status.NOT_FOUND,
    );
    await expectCode(
      client.call(c.updateItem, {
        tenantId: 't1',
        id,
        expectedVersion: 5,
        userId: '',
        tags: [],
        updateTags: false,
        name: 'x',
      }),
      grpc.status.ABORTED,
    );
    await expectCode(
      client.call(c.updateInventory, {
        tenantId: 't1',
        id,
        quantityChange: -2,
        reason: '',
        userId: '',
        requestId: '',
      }),
      grpc.status.FAILED_PRECONDITION,
    );
    await expectCode(
      client.call(c.updateInventory, {
        tenantId: 't1',
        id,
        quantityChange: 0,
        reason: '',
        userId: '',
        requestId: '',
      }),
      grpc.status.INVALID_ARGUMENT,
      'quantity_change',
    );
    await expectCode(
      client.call(c.listItems, {
        tenantId: 't1',
        category: 0,
        status: 0,
        search: '',
        pageSize: 101,
        pageToken: '',
      }),
      grpc.status.INVALID_ARGUMENT,
      'page_size',
    );
    await expectCode(
      client.call(c.listItems, {
        tenantId: 't1',
        category: 0,
        status: 0,
        search: '',
        pageSize: 0,
        pageToken: '!!',
      }),
      grpc.status.INVALID_ARGUMENT,
      'page_token',
    );
  });

  it('sets status from stock on creation: active with stock, out_of_stock without', async () => {
    const stocked = await client.call(client.client.createItem, { ...newItem, inventoryCount: 1 });
    const empty = await client.call(client.client.createItem, { ...newItem, inventoryCount: 0 });
    assert.equal(stocked.response.item?.status, 1);
    assert.equal(empty.response.item?.status, 2);
  });
});

describe('store-service configuration', () => {
  for (const [env, variable] of [
    [{ PORT: 'abc' }, 'PORT'],
    [{ DEPLOYMENT_TRACK: 'canary' }, 'DEPLOYMENT_TRACK'],
    [{ DYNAMODB_ENDPOINT: 'not a url' }, 'DYNAMODB_ENDPOINT'],
    [{ TABLE_NAME: 'x' }, 'TABLE_NAME'],
    // No issuer: a store that cannot verify tokens does not start by accident.
    [{}, 'AUTH_JWKS_URL'],
    [{ AUTH_JWKS_URL: '' }, 'AUTH_JWKS_URL'],
  ] as const) {
    it(`exits 1 naming ${variable} when it is invalid`, async () => {
      await assert.rejects(
        startService('store-service', { env: { ...env }, readyTimeoutMs: 10_000 }),
        (err: Error) => {
          assert.match(err.message, /exited with code 1/);
          assert.match(err.message, new RegExp(`invalid configuration:\\n  ${variable}: `));
          return true;
        },
      );
    });
  }
});

describe('store-service with STORE_BACKEND=memory', () => {
  it('serves items from its own memory, with no DynamoDB, and warns that nothing persists', async () => {
    const issuer = await startIssuer();
    const store = await startService('store-service', {
      env: { ...issuer.env, PORT: '0', METRICS_PORT: '0', BIND_HOST: '127.0.0.1', STORE_BACKEND: 'memory' },
    });
    const client = connectStore(store.ports.port ?? 0, (tenant) => issuer.token(tenant));
    try {
      const item = {
        tenantId: 'mem',
        requestId: '',
        name: 'Kept in memory',
        description: '',
        priceCents: 5,
        category: Category.CATEGORY_BOOKS,
        sku: '',
        inventoryCount: 1,
        tags: [],
        userId: '',
      };
      const { response } = await client.call(client.client.createItem, item);
      const { response: got } = await client.call(client.client.getItem, {
        tenantId: 'mem',
        id: response.item?.id ?? '',
      });
      assert.equal(got.item?.name, 'Kept in memory');
      assert.ok(
        store.logs.some((l) => l.includes('"level":"warn"') && l.includes('STORE_BACKEND=memory')),
        'warns at start',
      );
    } finally {
      client.client.close();
      await store.stop();
      await issuer.close();
    }
  });

  it('refuses an unknown backend, naming the variable', async () => {
    await assert.rejects(
      startService('store-service', {
        env: { PORT: '0', METRICS_PORT: '0', BIND_HOST: '127.0.0.1', STORE_BACKEND: 'redis' },
      }),
      /STORE_BACKEND/,
    );
  });
});
