import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { type EmbeddedDynamo, startEmbeddedDynamo } from 'local-runtime/dynalite';
import { DynamoItemRepository } from '../src/data/dynamo-repository.ts';
import { keys } from '../src/data/item-row.ts';
import { InMemoryItemRepository } from '../src/data/memory-repository.ts';
import { ensureTable } from '../src/data/table.ts';
import { item, repositoryContract } from './repository-contract.ts';

const localClient = (endpoint: string) =>
  new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });

repositoryContract('in memory', async () => ({
  repository: new InMemoryItemRepository(),
  withOptions: (options) => new InMemoryItemRepository(options),
  close: async () => {},
}));

repositoryContract('DynamoDB (dynalite)', async () => {
  const dynamo = await startEmbeddedDynamo();
  const client = localClient(dynamo.endpoint);
  await ensureTable(client, 'contract-items');
  const clients = { reads: client, writes: client };
  return {
    repository: new DynamoItemRepository(clients, 'contract-items'),
    withOptions: (options) => new DynamoItemRepository(clients, 'contract-items', options),
    async close() {
      client.destroy();
      await dynamo.close();
    },
  };
});

// The interleavings a burst only sometimes produces, made to happen every time: another
// writer's change lands between a stock write's failed condition and the store's re-read
// (dynalite returns no item with a failed condition, so the store reads once; issue 27).
describe('DynamoDB repository: a stock change whose condition failed on a state that changed since', () => {
  const table = 'race-items';
  let dynamo: EmbeddedDynamo;
  let reads: DynamoDBClient;
  let writes: DynamoDBClient;
  let other: DynamoDBClient;
  /** What other writers do around the repository's writes. */
  let interleave:
    | { before(): Promise<void>; afterFailedCondition(): Promise<void>; failures: number }
    | undefined;
  before(async () => {
    dynamo = await startEmbeddedDynamo();
    reads = localClient(dynamo.endpoint);
    writes = localClient(dynamo.endpoint);
    other = localClient(dynamo.endpoint);
    await ensureTable(reads, table);
    writes.middlewareStack.add(
      (next) => async (args) => {
        await interleave?.before();
        try {
          return await next(args);
        } catch (err) {
          if ((err as Error).name === 'ConditionalCheckFailedException' && interleave !== undefined) {
            interleave.failures += 1;
            await interleave.afterFailedCondition();
          }
          throw err;
        }
      },
      { step: 'initialize', name: 'interleaveOtherWriters' },
    );
  });
  after(async () => {
    for (const client of [reads, writes, other]) client?.destroy();
    await dynamo?.close();
  });

  /** Another process's stock change, straight to the table. */
  const otherChange = async (tenantId: string, id: string, delta: number) => {
    await other.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { PK: { S: keys.pk(tenantId) }, SK: { S: keys.sk(id) } },
        UpdateExpression: 'SET inventory_count = inventory_count + :d, version = version + :one',
        ExpressionAttributeValues: { ':d': { N: String(delta) }, ':one': { N: '1' } },
      }),
    );
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
    const repo = new DynamoItemRepository({ reads, writes }, table);
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
    const repo = new DynamoItemRepository({ reads, writes }, table);
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
