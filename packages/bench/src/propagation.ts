// What carrying X-Canary costs: two identical in-memory stacks loaded side by side, one
// with the key and one without, the key moving to the other stack every round (so a
// difference between the stacks themselves cancels). CPU per request, api + store.
import { type Load, median } from './load.ts';
import { startShipped } from './shipped.ts';
import {
  type Estimate,
  estimate,
  FIRST_WARMUP_SECONDS,
  loadSideBySide,
  pathCpu,
  ROUND_WARMUP_SECONDS,
  type Stack,
} from './side-by-side.ts';
import { createItem } from './start-memory.ts';

const say = (line: string) => process.stdout.write(`${line}\n`);

export interface PropagationFigures {
  readonly lines: string[];
  readonly estimate: Estimate;
}

async function memoryStack(name: string): Promise<Stack> {
  const store = await startShipped('store-service', { STORE_BACKEND: 'memory' });
  const api = await startShipped('api-service', { STORE_ADDRESS: `127.0.0.1:${store.ports.port}` });
  return { name, api, store, id: await createItem(api, 'bench') };
}

export async function propagation(
  rounds: number,
  seconds: number,
  connections: number,
): Promise<PropagationFigures> {
  const stacks: Stack[] = [];
  const keyed: Load[] = [];
  const plain: Load[] = [];
  try {
    stacks.push(await memoryStack('A'), await memoryStack('B'));
    const [a, b] = stacks as [Stack, Stack];
    for (let round = 0; round < rounds; round += 1) {
      const [withKey, without] = round % 2 === 0 ? [a, b] : [b, a];
      say(`bench: propagation, round ${round + 1}/${rounds} (X-Canary on stack ${withKey.name}) ...`);
      const [k, p] = await loadSideBySide(
        [
          { stack: withKey, headers: { 'x-canary': '123' } },
          { stack: without, headers: {} },
        ],
        seconds,
        Math.max(1, connections / 2),
        round === 0 ? FIRST_WARMUP_SECONDS : ROUND_WARMUP_SECONDS,
      );
      keyed.push(k);
      plain.push(p);
    }
  } finally {
    for (const s of stacks) {
      await s.api.stop();
      await s.store.stop();
    }
  }
  const ratios = keyed.map((k, i) => pathCpu(k) / pathCpu(plain[i] ?? k));
  const result = estimate(ratios);
  const failures = [...keyed, ...plain].reduce((n, l) => n + l.failures, 0);
  return {
    estimate: result,
    lines: [
      '| side | req/s (median) | api + store CPU µs/req (median) | failures |',
      '|---|---|---|---|',
      `| with X-Canary: 123 (propagated to the store) | ${Math.round(median(keyed.map((l) => l.rps)))} | ${Math.round(median(keyed.map(pathCpu)))} | ${keyed.reduce((n, l) => n + l.failures, 0)} |`,
      `| without a key | ${Math.round(median(plain.map((l) => l.rps)))} | ${Math.round(median(plain.map(pathCpu)))} | ${plain.reduce((n, l) => n + l.failures, 0)} |`,
      '',
      `Per-round CPU ratio (with / without): ${ratios.map((r) => r.toFixed(3)).join(', ')}; ${failures} failures in all.`,
    ],
  };
}
