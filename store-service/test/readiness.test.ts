// Readiness is the store pod's own ability to serve: it waits for the data store once
// (this pod's credentials, endpoint and table), then follows draining only. A data store
// outage afterwards is reported (health name DATA_STORE_HEALTH, gauge store_data_store_up),
// never a reason to leave rotation: every pod shares the data store.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { Registry } from 'prom-client';
import { createLogger } from 'service-kit';
import { DATA_STORE_HEALTH, STORE_SERVICE_NAME } from 'store-contract';
import { waitFor } from 'test-harness/wait';
import { InMemoryItemRepository } from '../src/data/memory-repository.ts';
import { ItemService } from '../src/domain/items.ts';
import { trustRequestTenant } from '../src/grpc/caller.ts';
import { storeMetrics } from '../src/grpc/metrics.ts';
import { bindServer, createStoreServer, type StoreServer } from '../src/server.ts';

/** A repository whose data store can be taken away and given back. */
class SwitchableRepository extends InMemoryItemRepository {
  reachable = false;
  override async ping(): Promise<void> {
    if (!this.reachable) throw new Error('connect ECONNREFUSED (test)');
  }
}

type HealthClient = grpc.Client & {
  check(
    request: { service: string },
    callback: (error: grpc.ServiceError | null, response?: { status?: unknown }) => void,
  ): void;
};

describe('store readiness', () => {
  const repository = new SwitchableRepository();
  const registry = new Registry();
  let store: StoreServer;
  let health: HealthClient;
  const statusOf = (service: string) =>
    new Promise<string>((resolve, reject) =>
      health.check({ service }, (error, response) =>
        error ? reject(error) : resolve(String(response?.status)),
      ),
    );
  const gauge = async () => (await registry.getSingleMetric('store_data_store_up')?.get())?.values[0]?.value;

  before(async () => {
    const identity = { service: 'store-service', track: 'stable', version: 'test' };
    store = createStoreServer({
      identity,
      items: new ItemService(repository),
      repository,
      logger: createLogger(identity, 'silent'),
      metrics: storeMetrics(registry),
      authenticate: trustRequestTenant,
    });
    const port = await bindServer(store.healthServer, '127.0.0.1', 0);
    const Health = grpc.makeGenericClientConstructor(healthService, 'grpc.health.v1.Health');
    health = new Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as HealthClient;
    store.startHealthMonitor(50);
  });
  after(() => {
    health.close();
    store.healthServer.forceShutdown();
    store.server.forceShutdown();
  });

  it('is not ready before the data store has answered once, and live all along', async () => {
    await waitFor(async () => (await statusOf(DATA_STORE_HEALTH)) === 'NOT_SERVING', {
      timeout: 5000,
      what: 'the first failed ping to be reported',
    });
    assert.equal(await statusOf(STORE_SERVICE_NAME), 'NOT_SERVING');
    assert.equal(await statusOf(''), 'SERVING');
  });

  it('becomes ready at the first answer and stays ready through a later data store outage', async () => {
    repository.reachable = true;
    await waitFor(async () => (await statusOf(STORE_SERVICE_NAME)) === 'SERVING', {
      timeout: 5000,
      what: 'readiness after the first answer',
    });
    assert.equal(await statusOf(DATA_STORE_HEALTH), 'SERVING');
    assert.equal(await gauge(), 1);

    repository.reachable = false;
    await waitFor(async () => (await statusOf(DATA_STORE_HEALTH)) === 'NOT_SERVING', {
      timeout: 5000,
      what: 'the outage to be reported',
    });
    assert.equal(await statusOf(STORE_SERVICE_NAME), 'SERVING', 'the outage is reported, not gating');
    assert.equal(await gauge(), 0);
  });

  it('leaves rotation when draining, whatever the data store does', async () => {
    repository.reachable = true;
    await waitFor(async () => (await statusOf(DATA_STORE_HEALTH)) === 'SERVING', {
      timeout: 5000,
      what: 'the data store to be back',
    });
    store.markDraining();
    assert.equal(await statusOf(STORE_SERVICE_NAME), 'NOT_SERVING');
    assert.equal(await statusOf(''), 'SERVING', 'liveness: draining is not dying');
  });
});
