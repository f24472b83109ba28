// The request path with the database taken out: the shipped services on an in-memory
// store vs the bare Fastify → grpc-js pass-through, with and without a routing key, and
// the same services on dynalite. Scenarios alternate round by round (the order rotates),
// so neither drift nor position favours one; medians and spreads are reported.
import { join } from 'node:path';
import type { EmbeddedDynamo } from 'local-runtime/dynalite';
import { repoRoot } from 'local-runtime/paths';
import { type Load, median, rotated, spread } from './load.ts';
import { shippedSettings, spawnReady } from './shipped.ts';
import { IN_MEMORY, type ItemTarget, loadItem, pathCpu, startStack, stopStacks, targetOf } from './stack.ts';

const say = (line: string) => process.stdout.write(`${line}\n`);

export interface PathFigures {
  readonly lines: string[];
  /** (a)/(e) by median req/s. */
  readonly vsPassThrough: number;
  /** Store CPU per request on dynalite / in memory (medians). */
  readonly dynamoFactor: number;
}

type Scenario = 'a' | 'b' | 'e' | 'f';
const NAMES: Record<Scenario, string> = {
  a: '(a) api → store (in memory)',
  b: '(b) same, with X-Canary: 123 (propagated to the store)',
  e: '(e) bare Fastify → grpc-js pass-through, fixed answer',
  f: '(f) api → store → dynalite',
};

export async function requestPath(
  dynamo: EmbeddedDynamo,
  rounds: number,
  seconds: number,
  connections: number,
): Promise<PathFigures> {
  const mem = await startStack('in memory', IN_MEMORY);
  const dyn = await startStack('dynalite', {
    DYNAMODB_ENDPOINT: dynamo.endpoint,
    DYNAMODB_CREATE_TABLE: 'true',
    TABLE_NAME: 'bench-path',
  });
  // The pass-through runs with the same heap flags as the services it stands in for: the
  // flags alone move CPU per request by 12–15% (a smaller young generation than V8's own
  // default), which is not the code's cost.
  const pStore = await spawnReady(join(repoRoot, 'packages/bench/src/passthrough-store.ts'), {
    NODE_OPTIONS: shippedSettings('store-service').nodeOptions,
  });
  const pApi = await spawnReady(join(repoRoot, 'packages/bench/src/passthrough-api.ts'), {
    NODE_OPTIONS: shippedSettings('api-service').nodeOptions,
    STORE_ADDRESS: `127.0.0.1:${pStore.ready.port}`,
  });
  const get =
    (target: ItemTarget, headers: Record<string, string> = {}) =>
    () =>
      loadItem(target, { headers, seconds, connections });
  const passThrough = { port: pApi.ready.port, id: mem.id, pids: { api: pApi.pid, store: pStore.pid } };
  const runs: Record<Scenario, () => Promise<Load>> = {
    a: get(targetOf(mem)),
    b: get(targetOf(mem), { 'x-canary': '123' }),
    e: get(passThrough),
    f: get(targetOf(dyn)),
  };
  const results: Record<Scenario, Load[]> = { a: [], b: [], e: [], f: [] };
  const order: Scenario[] = ['a', 'b', 'e', 'f'];
  try {
    for (let round = 0; round < rounds; round += 1) {
      const turn = rotated(order, round);
      say(`bench: request path, round ${round + 1}/${rounds} (${turn.join(', ')}) ...`);
      for (const s of turn) results[s].push(await runs[s]());
    }
  } finally {
    pApi.stop();
    pStore.stop();
    await stopStacks([mem, dyn]);
  }
  const med = (s: Scenario, pick: (l: Load) => number) => median(results[s].map(pick));
  const lines = [
    '| scenario | req/s (median) | spread of req/s | p50 ms | p99 ms | api CPU µs/req | store CPU µs/req | failures |',
    '|---|---|---|---|---|---|---|---|',
    ...order.map(
      (s) =>
        `| ${NAMES[s]} | ${Math.round(med(s, (l) => l.rps))} | ${Math.round(spread(results[s].map((l) => l.rps)) * 100)}% | ${med(s, (l) => l.p50)} | ${med(s, (l) => l.p99)} | ${Math.round(med(s, (l) => l.cpuPerRequest.api ?? 0))} | ${Math.round(med(s, (l) => l.cpuPerRequest.store ?? 0))} | ${results[s].reduce((n, l) => n + l.failures, 0)} |`,
    ),
  ];
  const pairs = results.a.map((a, i) => pathCpu(results.b[i] ?? a) / pathCpu(a));
  lines.push(
    '',
    `Rounds (req/s): ${order.map((s) => `(${s}) ${results[s].map((l) => Math.round(l.rps)).join(' / ')}`).join('; ')}.`,
    `Per-round (b)/(a) CPU per request (api + store), one run after the other: ${pairs.map((p) => p.toFixed(3)).join(', ')} (the propagation cost is measured side by side below).`,
  );
  return {
    lines,
    vsPassThrough: med('a', (l) => l.rps) / med('e', (l) => l.rps),
    dynamoFactor: med('f', (l) => l.cpuPerRequest.store ?? 0) / med('a', (l) => l.cpuPerRequest.store ?? 0),
  };
}
