// What tracing costs on the in-memory path (the bundles, heap flags as shipped): configured
// with sampling 0, 0.1 (as the manifests ship) and 1.0, exporting OTLP/HTTP to a local
// sink, each loaded side by side with an untraced stack (side-by-side.ts), the variants
// taking turns round by round. The cost is the extra CPU per request (api + store) and the
// throughput it costs a CPU-bound service: 1 − untraced / traced.
import { type Load, median, rotated } from './load.ts';
import { startSpanSink } from './shipped.ts';
import { type Estimate, estimate, formatEstimate, loadSideBySide } from './side-by-side.ts';
import { IN_MEMORY, pathCpu, type Stack, startStack, stopStacks } from './stack.ts';

const say = (line: string) => process.stdout.write(`${line}\n`);

export interface TracingFigures {
  readonly lines: string[];
  /** Throughput cost by variant name (from the CPU ratio against the untraced stack). */
  readonly cost: Record<string, number>;
  /** The CPU ratio − 1 and its 95% interval, by variant name. */
  readonly cpu: Record<string, Estimate>;
}

const UNTRACED = 'not configured';
const VARIANTS: ReadonlyArray<[string, string]> = [
  ['sampling 0', '0'],
  ['sampling 0.1', '0.1'],
  ['sampling 1.0', '1'],
];

export async function tracing(rounds: number, seconds: number, connections: number): Promise<TracingFigures> {
  const sink = await startSpanSink();
  const stacks: Stack[] = [];
  const start = async (name: string, otel: Record<string, string>) => {
    const stack = await startStack(name, IN_MEMORY, otel);
    stacks.push(stack);
    return stack;
  };
  const traced = new Map<string, Load[]>();
  const untraced = new Map<string, Load[]>();
  try {
    const base = await start(UNTRACED, {});
    const variants: Stack[] = [];
    for (const [name, ratio] of VARIANTS) {
      variants.push(
        await start(name, {
          OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint,
          OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
          OTEL_TRACES_SAMPLER_ARG: ratio,
          OTEL_BSP_MAX_QUEUE_SIZE: '8192',
        }),
      );
      traced.set(name, []);
      untraced.set(name, []);
    }
    for (let round = 0; round < rounds; round += 1) {
      say(`bench: tracing, round ${round + 1}/${rounds} ...`);
      for (const v of rotated(variants, round)) {
        const [t, u] = await loadSideBySide(
          [{ stack: v }, { stack: base }],
          seconds,
          Math.max(1, connections / 2),
          round === 0,
        );
        traced.get(v.name)?.push(t);
        untraced.get(v.name)?.push(u);
      }
    }
  } finally {
    await stopStacks(stacks);
    sink.close();
  }
  const cost: Record<string, number> = {};
  const cpu: Record<string, Estimate> = {};
  const lines = [
    '| variant | req/s (median, traced / untraced side) | api + store CPU µs/req (median, traced / untraced) | CPU per request (95% interval) | throughput cost |',
    '|---|---|---|---|---|',
  ];
  const ratiosText: string[] = [];
  for (const [name] of VARIANTS) {
    const t = traced.get(name) ?? [];
    const u = untraced.get(name) ?? [];
    const ratios = t.map((l, i) => pathCpu(l) / pathCpu(u[i] ?? l));
    const e = estimate(ratios);
    cpu[name] = e;
    cost[name] = 1 - 1 / (1 + e.cost);
    ratiosText.push(`${name}: ${ratios.map((r) => r.toFixed(3)).join(', ')}`);
    lines.push(
      `| ${name} | ${Math.round(median(t.map((l) => l.rps)))} / ${Math.round(median(u.map((l) => l.rps)))} | ${Math.round(median(t.map(pathCpu)))} / ${Math.round(median(u.map(pathCpu)))} | ${formatEstimate(e)} | ${((cost[name] ?? 0) * 100).toFixed(1)}% |`,
    );
  }
  lines.push('', `Per-round CPU ratio (traced / untraced): ${ratiosText.join('; ')}.`);
  return { lines, cost, cpu };
}
