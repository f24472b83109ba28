import type { DynamoDocuments } from '../dynamo/documents.ts';

/** GSI for listing a tenant's items by category, then status (key conditions, not filters). */
export const CATEGORY_INDEX = 'gsi1-category-status';
/** GSI for listing a tenant's items by status. */
export const STATUS_INDEX = 'gsi2-status';

/** Creates the single table and its two GSIs unless it exists; waits until it is ACTIVE. */
export async function ensureTable(
  client: DynamoDocuments,
  tableName: string,
  timeoutMs = 30_000,
): Promise<void> {
  try {
    await client.table('CreateTable', {
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'PK', AttributeType: 'S' },
        { AttributeName: 'SK', AttributeType: 'S' },
        { AttributeName: 'GSI1PK', AttributeType: 'S' },
        { AttributeName: 'GSI1SK', AttributeType: 'S' },
        { AttributeName: 'GSI2PK', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'PK', KeyType: 'HASH' },
        { AttributeName: 'SK', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: CATEGORY_INDEX,
          KeySchema: [
            { AttributeName: 'GSI1PK', KeyType: 'HASH' },
            { AttributeName: 'GSI1SK', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
        {
          IndexName: STATUS_INDEX,
          KeySchema: [
            { AttributeName: 'GSI2PK', KeyType: 'HASH' },
            { AttributeName: 'SK', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });
  } catch (err) {
    if ((err as Error).name !== 'ResourceInUseException') throw err;
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { Table } = (await client.table('DescribeTable', { TableName: tableName })) as {
      Table?: { TableStatus?: string; GlobalSecondaryIndexes?: Array<{ IndexName?: string }> };
    };
    const indexes = (Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName);
    const missing = [CATEGORY_INDEX, STATUS_INDEX].filter((i) => !indexes.includes(i));
    if (missing.length > 0)
      throw new Error(
        `table ${tableName} lacks index ${missing.join(', ')} (it was created by an older version): recreate it, or for the lab start with a fresh --data-dir`,
      );
    if (Table?.TableStatus === 'ACTIVE') return;
    if (Date.now() > deadline) throw new Error(`table ${tableName} not ACTIVE after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Deletes a table (a PR's isolated table); absent is fine. */
export async function dropTable(client: DynamoDocuments, tableName: string): Promise<void> {
  try {
    await client.table('DeleteTable', { TableName: tableName });
  } catch (err) {
    if ((err as Error).name !== 'ResourceNotFoundException') throw err;
  }
}
