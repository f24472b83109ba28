// Start-up, idle memory and the memory plateau under load: sources vs the shipped bundle,
// with the manifests' heap flags, limits and sampling.
import type { EmbeddedDynamo } from 'local-runtime/dynalite';
import type { ServiceProcess } from 'local-runtime/process';
import { load, median, rssMiB } from './load.ts';
import { type Build, canarySettings, shippedSettings, startShipped, startSpanSink } from './shipped.ts';

const say = (line: string) => process.stdout.write(`${line}\n`);
const SERVICES = ['store-service', 'api-service'] as const;

export interface StartFigures {
  readonly lines: string[];
  /** Per service, of the bundle: median ready ms and idle RSS MiB. */
  readonly bundle: Record<string, { readyMs: number; idleMiB: number }>;
}

function wiring(service: string, dynamo: EmbeddedDynamo): Record<string, string> {
  return service === 'store-service'
    ? { DYNAMODB_ENDPOINT: dynamo.endpoint, DYNAMODB_CREATE_TABLE: 'true' }
    : { STORE_ADDRESS: '127.0.0.1:1' };
}

/** Spawn → ready line, three times per service and build; RSS one second after ready. */
export async function startAndIdle(dynamo: EmbeddedDynamo): Promise<StartFigures> {
  const lines = [
    '| service | runs | ready (median of 3) | three runs (ms) | idle RSS (median) |',
    '|---|---|---|---|---|',
  ];
  const bundle: StartFigures['bundle'] = {};
  for (const service of SERVICES) {
    for (const build of ['sources', 'bundle'] as Build[]) {
      const times: number[] = [];
      const rss: number[] = [];
      for (let i = 0; i < 3; i += 1) {
        const t0 = performance.now();
        const p = await startShipped(service, wiring(service, dynamo), { build, telemetry: true });
        times.push(performance.now() - t0);
        await new Promise((resolve) => setTimeout(resolve, 1000));
        rss.push(rssMiB(p.pid));
        await p.stop();
      }
      const ready = Math.round(median(times));
      const idle = Math.round(median(rss));
      if (build === 'bundle') bundle[service] = { readyMs: ready, idleMiB: idle };
      lines.push(
        `| ${service} | ${build === 'bundle' ? 'bundle (the image)' : 'sources (the lab)'} | ${ready} ms | ${times.map(Math.round).join(', ')} | ${idle} MiB |`,
      );
      say(`bench: ${service} (${build}): ready ${ready} ms, idle ${idle} MiB`);
    }
  }
  return { lines, bundle };
}

export interface PlateauFigures {
  readonly lines: string[];
  /** Per service: plateau as a share of the container limit, with the shipped flags. */
  readonly share: Record<string, number>;
  /** Per service: plateau as a share of the canary profile's limit, with its flags. */
  readonly canaryShare: Record<string, number>;
}

/**
 * api → store → dynalite under three rounds of sustained load, as the manifests run them
 * (bundle, heap flags, tracing sampled and exported to a local sink); RSS sampled every
 * 250 ms. Then the same without heap flags, for comparison.
 */
export async function plateau(
  dynamo: EmbeddedDynamo,
  seconds: number,
  connections: number,
): Promise<PlateauFigures> {
  const sink = await startSpanSink();
  const { endpoint } = sink;
  const lines = [
    '| service | heap flags | limit | plateau (max RSS) | share of limit | RSS after each round |',
    '|---|---|---|---|---|---|',
  ];
  const share: Record<string, number> = {};
  const canaryShare: Record<string, number> = {};
  const canary = canarySettings();
  try {
    for (const variant of ['shipped', 'canary', 'none'] as const) {
      const withFlags = variant !== 'none';
      const heapFlags = variant === 'canary' ? canary.nodeOptions : withFlags;
      const otel = (service: string) => ({
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        ...shippedSettings(service).sampling,
      });
      const store = await startShipped(
        'store-service',
        { ...wiring('store-service', dynamo), TABLE_NAME: 'bench-plateau', ...otel('store-service') },
        { heapFlags },
      );
      const api = await startShipped(
        'api-service',
        { STORE_ADDRESS: `127.0.0.1:${store.ports.port}`, ...otel('api-service') },
        { heapFlags },
      );
      const id = await createItem(api, 'plateau');
      const max: Record<string, number> = { 'api-service': 0, 'store-service': 0 };
      const procs: Array<[string, ServiceProcess]> = [
        ['api-service', api],
        ['store-service', store],
      ];
      const sampler = setInterval(() => {
        for (const [name, p] of procs) max[name] = Math.max(max[name] ?? 0, rssMiB(p.pid));
      }, 250);
      const after: Record<string, number[]> = { 'api-service': [], 'store-service': [] };
      const rounds = withFlags ? 3 : 1;
      for (let round = 0; round < rounds; round += 1) {
        say(`bench: plateau (${variant} heap flags), round ${round + 1}/${rounds} ...`);
        await load(`http://127.0.0.1:${api.ports.port}/v1/items/${id}`, {
          headers: { 'x-tenant-id': 'plateau' },
          seconds,
          connections,
          warmupSeconds: 0,
        });
        for (const [name, p] of procs) after[name]?.push(rssMiB(p.pid));
      }
      clearInterval(sampler);
      for (const [name] of procs) {
        const settings = variant === 'canary' ? canary : shippedSettings(name);
        const peak = max[name] ?? 0;
        if (variant === 'shipped') share[name] = peak / settings.limitMiB;
        if (variant === 'canary') canaryShare[name] = peak / settings.limitMiB;
        const flags =
          variant === 'none'
            ? 'none (V8 sizes the heap from the machine)'
            : `\`${settings.nodeOptions}\`${variant === 'canary' ? ' (the canary profile)' : ''}`;
        lines.push(
          `| ${name} | ${flags} | ${settings.limitMiB} MiB | ${peak} MiB | ${Math.round((peak / settings.limitMiB) * 100)}% | ${after[name]?.join(' / ')} MiB |`,
        );
      }
      await api.stop();
      await store.stop();
    }
  } finally {
    sink.close();
  }
  return { lines, share, canaryShare };
}

export async function createItem(api: ServiceProcess, tenant: string): Promise<string> {
  const r = await fetch(`http://127.0.0.1:${api.ports.port}/v1/items`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-tenant-id': tenant },
    body: JSON.stringify({
      name: 'Benchmark item',
      price_cents: 100,
      category: 'books',
      inventory_count: 10,
    }),
  });
  if (r.status !== 201) throw new Error(`create failed: ${r.status} ${await r.text()}`);
  return ((await r.json()) as { id: string }).id;
}
