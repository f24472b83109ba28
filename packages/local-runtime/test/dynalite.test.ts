// dynalite 4.0.0 closed its LevelDB iterators with a method they do not have (return()),
// so every Query and Scan left them open and the lab process grew without end under list
// traffic. startEmbeddedDynamo gives them that method; after any mix of reads, none stay open.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { waitFor } from 'test-harness/wait';
import { type EmbeddedDynamoOptions, startEmbeddedDynamo } from '../src/dynalite.ts';

const TABLE = 'iterators';
const ITEMS = 30;
const REPEAT = 10;

/** Runs the reads; returns the pid of the process that held the store (closed by then). */
async function readsLeaveNoIteratorOpen(options: EmbeddedDynamoOptions): Promise<number> {
  const dynamo = await startEmbeddedDynamo(options);
  const db = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  try {
    await db.send(
      new CreateTableCommand({
        TableName: TABLE,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'PK', AttributeType: 'S' },
          { AttributeName: 'SK', AttributeType: 'S' },
          { AttributeName: 'G', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'PK', KeyType: 'HASH' },
          { AttributeName: 'SK', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'by-g',
            KeySchema: [
              { AttributeName: 'G', KeyType: 'HASH' },
              { AttributeName: 'SK', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
    // CreateTable answers while the table is CREATING (ACTIVE a moment later, on disk
    // later than in memory): writes before that are ResourceNotFoundException.
    await waitFor(
      async () =>
        (await db.send(new DescribeTableCommand({ TableName: TABLE }))).Table?.TableStatus === 'ACTIVE',
      { timeout: 10_000, what: `table ${TABLE} to be ACTIVE` },
    );
    for (let i = 0; i < ITEMS; i += 1)
      await db.send(
        new PutItemCommand({
          TableName: TABLE,
          Item: {
            PK: { S: 'tenant' },
            SK: { S: `item-${String(i).padStart(3, '0')}` },
            G: { S: `g${i % 2}` },
            text: { S: i % 3 === 0 ? 'needle' : 'hay' },
          },
        }),
      );
    const tenant = { ':p': { S: 'tenant' } };
    const queries: QueryCommandInput[] = [
      // Stops at its Limit (dynalite ends the stream early) ...
      { TableName: TABLE, KeyConditionExpression: 'PK = :p', ExpressionAttributeValues: tenant, Limit: 5 },
      // ... reads to the end of the range, pages on, filters, and goes through an index.
      { TableName: TABLE, KeyConditionExpression: 'PK = :p', ExpressionAttributeValues: tenant },
      {
        TableName: TABLE,
        KeyConditionExpression: 'PK = :p',
        ExpressionAttributeValues: tenant,
        Limit: 5,
        ExclusiveStartKey: { PK: { S: 'tenant' }, SK: { S: 'item-010' } },
      },
      {
        TableName: TABLE,
        KeyConditionExpression: 'PK = :p',
        ExpressionAttributeValues: { ...tenant, ':t': { S: 'needle' } },
        FilterExpression: 'contains(#t, :t)',
        ExpressionAttributeNames: { '#t': 'text' },
      },
      {
        TableName: TABLE,
        IndexName: 'by-g',
        KeyConditionExpression: 'G = :g',
        ExpressionAttributeValues: { ':g': { S: 'g1' } },
        Limit: 4,
      },
    ];
    const before = (await dynamo.memory()).openedIterators;
    let reads = 0;
    for (let round = 0; round < REPEAT; round += 1) {
      const answers = await Promise.all([
        ...queries.map((q) => db.send(new QueryCommand(q))),
        db.send(new ScanCommand({ TableName: TABLE, Limit: 7 })),
        db.send(new ScanCommand({ TableName: TABLE })),
      ]);
      reads += answers.length;
      assert.ok(answers.every((a) => (a.Count ?? 0) > 0));
    }
    const after = await dynamo.memory();
    assert.ok(
      after.openedIterators - before >= reads,
      `${after.openedIterators - before} iterators counted for ${reads} reads`,
    );
    assert.equal(after.openIterators, 0);
  } finally {
    db.destroy();
    await dynamo.close();
  }
  return dynamo.pid;
}

const running = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('the embedded DynamoDB closes what it reads with', () => {
  it('in memory: no LevelDB iterator stays open after queries, index queries and scans', async () => {
    await readsLeaveNoIteratorOpen({});
  });

  it('on disk: the same', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dynalite-iterators-'));
    try {
      await readsLeaveNoIteratorOpen({ path: dir });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('in a process of its own (as the lab runs it): the same, and the process ends on close', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dynalite-iterators-'));
    try {
      const pid = await readsLeaveNoIteratorOpen({ path: dir, ownProcess: true });
      assert.notEqual(pid, process.pid);
      assert.equal(running(pid), false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
