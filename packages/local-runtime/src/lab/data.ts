import { DeleteTableCommand, DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import type { EmbeddedDynamo } from '../dynalite.ts';

/** Deletes a PR's isolated table from the embedded store (gone already is fine). */
export async function dropTable(dynamo: EmbeddedDynamo, table: string): Promise<void> {
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    await client.send(new DeleteTableCommand({ TableName: table }));
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err;
  } finally {
    client.destroy();
  }
}
