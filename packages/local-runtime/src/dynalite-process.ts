// The embedded DynamoDB in a process of its own (startEmbeddedDynamo({ ownProcess: true })).
// Prints {"port":N} when listening; answers each `mem` line on stdin with its memory as
// JSON; closes the store and exits when stdin ends (its starter closed it, or died).
import { createInterface } from 'node:readline';
import { processMemory, startEmbeddedDynamo } from './dynalite.ts';

const reply = (value: object) => process.stdout.write(`${JSON.stringify(value)}\n`);
const dynamo = await startEmbeddedDynamo({
  ...(process.env.DYNALITE_PATH === undefined ? {} : { path: process.env.DYNALITE_PATH }),
  host: process.env.DYNALITE_HOST ?? '127.0.0.1',
  port: Number(process.env.DYNALITE_PORT ?? 0),
});
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await dynamo.close();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
// Ctrl-C reaches the whole process group: the starter stops its services first and this
// store last (or dies, which ends stdin).
process.on('SIGINT', () => undefined);
reply({ port: dynamo.port });
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === 'mem') reply(processMemory());
}
await stop();
