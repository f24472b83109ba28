import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startEmbeddedDynamo } from 'local-runtime/dynalite';
import { DynamoItemRepository } from '../src/data/dynamo-repository.ts';
import { InMemoryItemRepository } from '../src/data/memory-repository.ts';
import { ensureTable } from '../src/data/table.ts';
import { repositoryContract } from './repository-contract.ts';

repositoryContract('in memory', async () => ({
  repository: new InMemoryItemRepository(),
  close: async () => {},
}));

repositoryContract('DynamoDB (dynalite)', async () => {
  const dynamo = await startEmbeddedDynamo();
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await ensureTable(client, 'contract-items');
  return {
    repository: new DynamoItemRepository({ reads: client, writes: client }, 'contract-items'),
    async close() {
      client.destroy();
      await dynamo.close();
    },
  };
});
