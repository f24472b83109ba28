// The store verifies its caller itself: the end user's JWT in metadata `authorization`,
// the tenant from the token, never from tenant_id alone. In process: the real gRPC server
// on loopback, the in-memory repository, an in-memory JWKS.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { createLocalJWKSet, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { Registry } from 'prom-client';
import { createLogger, tokenVerifier } from 'service-kit';
import { Category, type CreateItemResponse, ItemStatus } from 'store-contract';
import { InMemoryItemRepository } from '../src/data/memory-repository.ts';
import { ItemService } from '../src/domain/items.ts';
import { tokenAuthenticator } from '../src/grpc/caller.ts';
import { storeMetrics } from '../src/grpc/metrics.ts';
import { bindServer, createStoreServer, type StoreServer } from '../src/server.ts';
import { bearer, connectStore } from './store-client.ts';

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'api-service';
const identity = { service: 'store-service', track: 'stable', version: 'test' };

/** grpc.health.v1 Check of store.v1.StoreService on a port, without credentials. */
async function storeHealth(port: number): Promise<unknown> {
  const Health = grpc.makeGenericClientConstructor(healthService, 'grpc.health.v1.Health');
  const health = new Health(
    `127.0.0.1:${port}`,
    grpc.credentials.createInsecure(),
  ) as unknown as grpc.Client & {
    check(
      request: { service: string },
      callback: (error: grpc.ServiceError | null, response?: { status?: unknown }) => void,
    ): void;
  };
  const status = await new Promise<unknown>((resolve, reject) =>
    health.check({ service: 'store.v1.StoreService' }, (error, response) =>
      error === null ? resolve(response?.status) : reject(error),
    ),
  );
  health.close();
  return status;
}

describe('the store authenticates every StoreService call', () => {
  let server: StoreServer;
  let store: ReturnType<typeof connectStore>;
  let sign: (claims: JWTPayload, key?: PrivateKey, iss?: string) => Promise<string>;
  let created: CreateItemResponse;
  let tokenA: string;

  before(async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const keys = createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), alg: 'ES256', kid: 'k1' }] });
    sign = (claims, key = privateKey, iss = ISSUER) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer(iss)
        .setAudience(AUDIENCE)
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(key);
    const repository = new InMemoryItemRepository();
    server = createStoreServer({
      identity,
      items: new ItemService(repository),
      repository,
      logger: createLogger(identity, 'silent'),
      metrics: storeMetrics(new Registry()),
      authenticate: tokenAuthenticator(
        tokenVerifier({
          issuer: ISSUER,
          audience: AUDIENCE,
          keys,
          tenantClaim: 'tenant',
          algorithms: ['ES256'],
        }),
      ),
    });
    server.startHealthMonitor(60_000);
    store = connectStore(await bindServer(server.server, '127.0.0.1', 0));
    tokenA = await sign({ tenant: 'tenant-a', sub: 'alice' });
    ({ response: created } = await store.call(
      store.client.createItem,
      {
        tenantId: 'tenant-a',
        requestId: '',
        name: 'Dune',
        description: '',
        priceCents: 1299,
        category: Category.CATEGORY_BOOKS,
        sku: '',
        inventoryCount: 3,
        tags: [],
        userId: 'alice',
      },
      bearer(tokenA),
    ));
  });
  after(async () => {
    store?.client.close();
    await server?.shutdown(1000);
  });

  const code = async (call: Promise<unknown>) => {
    try {
      await call;
      return 'OK';
    } catch (err) {
      return grpc.status[(err as grpc.ServiceError).code];
    }
  };
  const get = (metadata?: grpc.Metadata, tenantId = 'tenant-a') =>
    store.call(store.client.getItem, { tenantId, id: created.item?.id ?? '' }, metadata);

  it('serves the right token for its own tenant', async () => {
    assert.equal(created.item?.createdBy, 'alice');
    const { response } = await get(bearer(tokenA));
    assert.equal(response.item?.name, 'Dune');
  });

  it('answers UNAUTHENTICATED without a token, or with one that is not a bearer JWT', async () => {
    assert.equal(await code(get()), 'UNAUTHENTICATED');
    const basic = new grpc.Metadata();
    basic.set('authorization', 'Basic dXNlcjpwYXNz');
    assert.equal(await code(get(basic)), 'UNAUTHENTICATED');
    assert.equal(await code(get(bearer('not-a-jwt'))), 'UNAUTHENTICATED');
    // Before the request is looked at: a caller without a token learns nothing from it.
    assert.equal(
      await code(store.call(store.client.getItem, { tenantId: 'tenant-a', id: 'not-a-uuid' })),
      'UNAUTHENTICATED',
    );
  });

  it('answers UNAUTHENTICATED for a token from another key or another issuer', async () => {
    const other = await generateKeyPair('ES256');
    assert.equal(
      await code(get(bearer(await sign({ tenant: 'tenant-a', sub: 'mallory' }, other.privateKey)))),
      'UNAUTHENTICATED',
    );
    const { privateKey } = await generateKeyPair('ES256');
    assert.equal(
      await code(
        get(bearer(await sign({ tenant: 'tenant-a', sub: 'mallory' }, privateKey, 'https://evil.test'))),
      ),
      'UNAUTHENTICATED',
    );
  });

  it("answers PERMISSION_DENIED for another tenant's token, on every method", async () => {
    const tokenB = bearer(await sign({ tenant: 'tenant-b', sub: 'bob' }));
    const id = created.item?.id ?? '';
    const calls: Array<[string, Promise<unknown>]> = [
      ['GetItem', get(tokenB)],
      [
        'ListItems',
        store.call(
          store.client.listItems,
          {
            tenantId: 'tenant-a',
            category: Category.CATEGORY_UNSPECIFIED,
            status: ItemStatus.ITEM_STATUS_UNSPECIFIED,
            search: '',
            pageSize: 10,
            pageToken: '',
          },
          tokenB,
        ),
      ],
      [
        'UpdateInventory',
        store.call(
          store.client.updateInventory,
          { tenantId: 'tenant-a', id, quantityChange: -1, reason: '', userId: 'bob', requestId: '' },
          tokenB,
        ),
      ],
      [
        'DeleteItem',
        store.call(store.client.deleteItem, { tenantId: 'tenant-a', id, userId: 'bob' }, tokenB),
      ],
      [
        'UpdateItem',
        store.call(
          store.client.updateItem,
          {
            tenantId: 'tenant-a',
            id,
            expectedVersion: 1,
            userId: 'bob',
            tags: [],
            updateTags: false,
            name: 'x',
          },
          tokenB,
        ),
      ],
      [
        'CreateItem',
        store.call(
          store.client.createItem,
          {
            tenantId: 'tenant-a',
            requestId: '',
            name: 'planted',
            description: '',
            priceCents: 1,
            category: Category.CATEGORY_BOOKS,
            sku: '',
            inventoryCount: 0,
            tags: [],
            userId: 'bob',
          },
          tokenB,
        ),
      ],
    ];
    for (const [name, call] of calls) assert.equal(await code(call), 'PERMISSION_DENIED', name);
    const { response } = await get(bearer(tokenA));
    assert.deepEqual([response.item?.name, response.item?.inventoryCount], ['Dune', 3], 'nothing changed');
  });

  it('serves health alone on the probe listener: the kubelet gets SERVING, StoreService is not there', async () => {
    const probePort = await bindServer(server.healthServer, '127.0.0.1', 0);
    const status = await storeHealth(probePort);
    assert.ok(status === 'SERVING' || status === 1, String(status));
    const probeOnly = connectStore(probePort);
    assert.equal(
      await code(probeOnly.call(probeOnly.client.getItem, { tenantId: 'tenant-a', id: 'x' }, bearer(tokenA))),
      'UNIMPLEMENTED',
    );
    probeOnly.client.close();
  });

  it('keeps health open: no token needed', async () => {
    const status = await storeHealth(store.port);
    assert.ok(status === 'SERVING' || status === 1, String(status));
  });
});
