// What carrying X-Canary costs: two identical in-memory stacks loaded side by side, one
// with the key and one without, the key moving to the other stack every round (so a
// difference between the stacks themselves cancels). CPU per request, api + store.
import { type Load, median } from './load.ts';
import { type Estimate, estimate, loadSideBySide } from './side-by-side.ts';
import { IN_MEMORY, pathCpu, type Stack, startStack, stopStacks } from './stack.ts';

const say = (line: string) => process.stdout.write(`${line}\n`);

export interface PropagationFigures {
  readonly lines: string[];
  readonly estimate: Estimate;
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
    stacks.push(await startStack('A', IN_MEMORY), await startStack('B', IN_MEMORY));
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
        round === 0,
      );
      keyed.push(k);
      plain.push(p);
    }
  } finally {
    await stopStacks(stacks);
  }
  const ratios = keyed.map((k, i) => pathCpu(k) / pathCpu(plain[i] ?? k));
  const failures = (side: Load[]) => side.reduce((n, l) => n + l.failures, 0);
  const row = (label: string, side: Load[]) =>
    `| ${label} | ${Math.round(median(side.map((l) => l.rps)))} | ${Math.round(median(side.map(pathCpu)))} | ${failures(side)} |`;
  return {
    estimate: estimate(ratios),
    lines: [
      '| side | req/s (median) | api + store CPU µs/req (median) | failures |',
      '|---|---|---|---|',
      row('with X-Canary: 123 (propagated to the store)', keyed),
      row('without a key', plain),
      '',
      `Per-round CPU ratio (with / without): ${ratios.map((r) => r.toFixed(3)).join(', ')}; ${failures([...keyed, ...plain])} failures in all.`,
    ],
  };
}
