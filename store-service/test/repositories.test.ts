import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type EmbeddedDynamo, startEmbeddedDynamo } from 'local-runtime/dynalite';
import { DynamoItemRepository } from '../src/data/dynamo-repository.ts';
import { keys } from '../src/data/item-row.ts';
import { InMemoryItemRepository } from '../src/data/memory-repository.ts';
import { ensureTable } from '../src/data/table.ts';
import { CANDIDATES, type Candidate, createCandidate } from '../src/dynamo/candidates/index.ts';
import type { DynamoDocuments } from '../src/dynamo/documents.ts';
import { createDynamo, type DynamoConfig } from '../src/dynamodb.ts';
import { item, repositoryContract } from './repository-contract.ts';

/** The store's client (thin) or a candidate it was measured against, on a local endpoint. */
const localClient = (endpoint: string, kind: 'thin' | Candidate = 'thin') => {
  const config: DynamoConfig = {
    DYNAMODB_ENDPOINT: endpoint,
    AWS_REGION: 'us-east-1',
    DYNAMODB_TIMEOUT_MS: 10_000,
    DYNAMODB_MAX_ATTEMPTS: 3,
  };
  return kind === 'thin' ? createDynamo(config) : createCandidate(kind, config);
};

repositoryContract('in memory', async () => ({
  repository: new InMemoryItemRepository(),
  withOptions: (options) => new InMemoryItemRepository(options),
  close: async () => {},
}));

// The store's client and every candidate it was measured against (dynamo/candidates).
for (const kind of ['thin', ...CANDIDATES] as const)
  repositoryContract(`DynamoDB (dynalite), client ${kind}`, async () => {
    const dynamo = await startEmbeddedDynamo();
    const client = await localClient(dynamo.endpoint, kind);
    await ensureTable(client, 'contract-items');
    return {
      repository: new DynamoItemRepository(client, 'contract-items'),
      withOptions: (options) => new DynamoItemRepository(client, 'contract-items', options),
      async close() {
        client.close();
        await dynamo.close();
      },
    };
  });

/** The client with other writers' work around each of its writes (the interleavings below). */
function interleaved(
  inner: DynamoDocuments,
  hooks: () =>
    | { before(): Promise<void>; afterFailedCondition(): Promise<void>; failures: number }
    | undefined,
): DynamoDocuments {
  const around =
    <A extends unknown[], R>(write: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      await hooks()?.before();
      try {
        return await write(...args);
      } catch (err) {
        const h = hooks();
        if ((err as Error).name === 'ConditionalCheckFailedException' && h !== undefined) {
          h.failures += 1;
          await h.afterFailedCondition();
        }
        throw err;
      }
    };
  return {
    kind: inner.kind,
    get: (input, options) => inner.get(input, options),
    query: (input, options) => inner.query(input, options),
    table: (operation, input) => inner.table(operation, input),
    put: around((input, options) => inner.put(input, options)),
    update: around((input, options) => inner.update(input, options)),
    close: () => inner.close(),
  };
}

// The interleavings a burst only sometimes produces, made to happen every time: another
// writer's change lands between a stock write's failed condition and the store's re-read
// (dynalite returns no item with a failed condition, so the store reads once; issue 27).
describe('DynamoDB repository: a stock change whose condition failed on a state that changed since', () => {
  const table = 'race-items';
  let dynamo: EmbeddedDynamo;
  let client: DynamoDocuments;
  let db: DynamoDocuments;
  /** What other writers do around the repository's writes. */
  let interleave:
    | { before(): Promise<void>; afterFailedCondition(): Promise<void>; failures: number }
    | undefined;
  before(async () => {
    dynamo = await startEmbeddedDynamo();
    client = await localClient(dynamo.endpoint);
    await ensureTable(client, table);
    db = interleaved(client, () => interleave);
  });
  after(async () => {
    client?.close();
    await dynamo?.close();
  });

  /** Another process's stock change, straight to the table. */
  const otherChange = async (tenantId: string, id: string, delta: number) => {
    await client.update({
      TableName: table,
      Key: { PK: keys.pk(tenantId), SK: keys.sk(id) },
      UpdateExpression: 'SET inventory_count = inventory_count + :d, version = version + :one',
      ExpressionAttributeValues: { ':d': delta, ':one': 1 },
    });
  };
  const change = (tenantId: string, id: string, delta: number) => ({
    tenantId,
    id,
    delta,
    by: 'u',
    at: new Date().toISOString(),
    ceiling: 1000,
  });
  const emptyItem = async (repo: DynamoItemRepository) => {
    const empty = item('race', { inventoryCount: 0, status: 'out_of_stock' });
    await repo.createIfAbsent(empty, undefined);
    return empty.id;
  };

  it('a -1 refused at stock 0, then a +1 lands before the re-read: applied on a retry, not an error', async () => {
    const repo = new DynamoItemRepository(db, table);
    const id = await emptyItem(repo);
    let landed = false;
    interleave = {
      failures: 0,
      before: async () => {},
      afterFailedCondition: async () => {
        if (landed) return;
        landed = true;
        await otherChange('race', id, 1);
      },
    };
    const outcome = await repo.adjustInventory(change('race', id, -1)).finally(() => {
      interleave = undefined;
    });
    assert.ok(landed, 'the interleaving happened');
    assert.equal(outcome.kind, 'updated');
    assert.ok(outcome.kind === 'updated');
    assert.equal(outcome.previousCount, 1, 'applied on the stock the +1 left');
    assert.equal((await repo.get('race', id))?.inventoryCount, 0);
  });

  it('meets that interleaving on every attempt: answered as contended after a bounded number, nothing applied', async () => {
    const repo = new DynamoItemRepository(db, table);
    const id = await emptyItem(repo);
    // Each failed -1 sees a +1 land, and a -1 take it again just before its next write.
    let refilled = false;
    interleave = {
      failures: 0,
      before: async () => {
        if (!refilled) return;
        refilled = false;
        await otherChange('race', id, -1);
      },
      afterFailedCondition: async () => {
        refilled = true;
        await otherChange('race', id, 1);
      },
    };
    const state = interleave;
    const outcome = await repo.adjustInventory(change('race', id, -1)).finally(() => {
      interleave = undefined;
    });
    assert.equal(outcome.kind, 'contended');
    assert.ok(state.failures >= 2, `it retried (${state.failures} attempts)`);
    assert.ok(state.failures <= 10, `bounded (${state.failures} attempts)`);
    if (refilled) await otherChange('race', id, -1);
    assert.equal((await repo.get('race', id))?.inventoryCount, 0, 'nothing applied');
  });
});
