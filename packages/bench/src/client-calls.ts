// One DynamoDB client alone in a process of its own: `calls` consistent GetItems of one
// item (the read a GET /v1/items/{id} makes), `concurrency` at a time, after a warm-up;
// prints {"event":"done","cpuPerCall":µs,"wallPerCall":µs}. Run by dynamo-clients.ts.
//   node client-calls.ts <thin|sdk|sdk-tuned|aws-lite> <endpoint> <calls> <concurrency>
import { type Candidate, createCandidate } from 'store-service/dynamo-candidates';
import { createDynamo } from 'store-service/dynamo-client';
import { ensureTable } from 'store-service/dynamo-table';

const [kind = 'thin', endpoint = '', callsArg = '5000', concurrencyArg = '32'] = process.argv.slice(2);
const config = {
  DYNAMODB_ENDPOINT: endpoint,
  AWS_REGION: 'us-east-1',
  DYNAMODB_TIMEOUT_MS: 10_000,
  DYNAMODB_MAX_ATTEMPTS: 3,
};
const db = kind === 'thin' ? await createDynamo(config) : await createCandidate(kind as Candidate, config);
const table = 'bench-client-calls';
await ensureTable(db, table);
const Key = { PK: 'TENANT#bench', SK: 'ITEM#1' };
await db.put({
  TableName: table,
  Item: { ...Key, name: 'Benchmark item', price_cents: 100, tags: ['a', 'b'], inventory_requests: {} },
});
const burst = async (calls: number, concurrency: number) => {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < calls) {
        next += 1;
        await db.get({ TableName: table, Key, ConsistentRead: true });
      }
    }),
  );
};
const calls = Number(callsArg);
const concurrency = Number(concurrencyArg);
await burst(Math.ceil(calls / 2), concurrency);
const cpu = process.cpuUsage();
const t0 = performance.now();
await burst(calls, concurrency);
const used = process.cpuUsage(cpu);
process.stdout.write(
  `${JSON.stringify({ event: 'done', cpuPerCall: (used.user + used.system) / calls, wallPerCall: ((performance.now() - t0) * 1000) / calls })}\n`,
);
db.close();
