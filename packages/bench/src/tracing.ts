// What tracing costs on the in-memory path (the bundles, heap flags as shipped): not
// configured, configured with sampling 0, 0.1 (as the manifests ship) and 1.0, exporting
// OTLP/HTTP to a local sink. All four pairs run side by side and take turns, round by round.
import type { ServiceProcess } from 'local-runtime/process';
import { type Load, load, median, rotated } from './load.ts';
import { startShipped, startSpanSink } from './shipped.ts';
import { createItem } from './start-memory.ts';

const say = (line: string) => process.stdout.write(`${line}\n`);

export interface TracingFigures {
  readonly lines: string[];
  /** Throughput cost by variant name, against the untraced pair (medians). */
  readonly cost: Record<string, number>;
}

const VARIANTS: ReadonlyArray<[string, string | undefined]> = [
  ['not configured', undefined],
  ['sampling 0', '0'],
  ['sampling 0.1', '0.1'],
  ['sampling 1.0', '1'],
];

export async function tracing(rounds: number, seconds: number, connections: number): Promise<TracingFigures> {
  const sink = await startSpanSink();
  const { endpoint } = sink;
  const pairs: Array<{ name: string; api: ServiceProcess; store: ServiceProcess; id: string }> = [];
  const results = new Map<string, Load[]>();
  try {
    for (const [name, ratio] of VARIANTS) {
      const otel: Record<string, string> =
        ratio === undefined
          ? {}
          : {
              OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
              OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
              OTEL_TRACES_SAMPLER_ARG: ratio,
              OTEL_BSP_MAX_QUEUE_SIZE: '8192',
            };
      const store = await startShipped('store-service', { STORE_BACKEND: 'memory', ...otel });
      const api = await startShipped('api-service', {
        STORE_ADDRESS: `127.0.0.1:${store.ports.port}`,
        ...otel,
      });
      pairs.push({ name, api, store, id: await createItem(api, 'bench') });
      results.set(name, []);
    }
    for (let round = 0; round < rounds; round += 1) {
      say(`bench: tracing, round ${round + 1}/${rounds} ...`);
      for (const p of rotated(pairs, round))
        results.get(p.name)?.push(
          await load(`http://127.0.0.1:${p.api.ports.port}/v1/items/${p.id}`, {
            headers: { 'x-tenant-id': 'bench' },
            seconds,
            connections,
            watch: { api: p.api.pid, store: p.store.pid },
          }),
        );
    }
  } finally {
    for (const p of pairs) {
      await p.api.stop();
      await p.store.stop();
    }
    sink.close();
  }
  const rps = (name: string) => median((results.get(name) ?? []).map((l) => l.rps));
  const cpuOf = (name: string) =>
    median((results.get(name) ?? []).map((l) => (l.cpuPerRequest.api ?? 0) + (l.cpuPerRequest.store ?? 0)));
  // Cost per round against the untraced pair of the same round (drift cancels), then the
  // median over rounds.
  const baseRounds = (results.get('not configured') ?? []).map((l) => l.rps);
  const pairedCost = (name: string) =>
    median((results.get(name) ?? []).map((l, i) => 1 - l.rps / (baseRounds[i] ?? l.rps)));
  const cost: Record<string, number> = {};
  const lines = [
    '| variant | req/s (median) | rounds | api + store CPU µs/req | throughput cost (median of per-round pairs) |',
    '|---|---|---|---|---|',
    ...VARIANTS.map(([name]) => {
      cost[name] = pairedCost(name);
      return `| ${name} | ${Math.round(rps(name))} | ${(results.get(name) ?? []).map((l) => Math.round(l.rps)).join(' / ')} | ${Math.round(cpuOf(name))} | ${name === 'not configured' ? '-' : `${((cost[name] ?? 0) * 100).toFixed(1)}%`} |`;
    }),
  ];
  return { lines, cost };
}
