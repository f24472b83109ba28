// npm run bench: the cost of the platform, measured side by side in one run, written to
// docs/benchmarks.md with the machine, the method and each target met or missed.
//   BENCH_SECONDS  seconds per measured load (default 5; each after a 2 s warm-up)
//   BENCH_ROUNDS   rounds of the alternating comparisons (default 5)
//   BENCH_ONLY     comma-separated sections to run (start, plateau, path, routers, tracing,
//                  lookup, store); with it the figures are printed, docs/benchmarks.md is kept
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedDynamo } from 'local-runtime/dynalite';
import { repoRoot } from 'local-runtime/paths';
import { lookups } from './lookup.ts';
import { type PathFigures, requestPath } from './request-path.ts';
import { type RouterFigures, routers } from './routers.ts';
import { buildBundles, shippedSettings } from './shipped.ts';
import { type PlateauFigures, plateau, type StartFigures, startAndIdle } from './start-memory.ts';
import { storeScale } from './store-scale.ts';
import { type TracingFigures, tracing } from './tracing.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONNECTIONS = 32;
const SECTIONS = ['start', 'plateau', 'path', 'routers', 'tracing', 'lookup', 'store'] as const;
type Section = (typeof SECTIONS)[number];
const say = (line: string) => process.stdout.write(`${line}\n`);

function selected(): Set<Section> {
  const only = process.env.BENCH_ONLY;
  if (only === undefined || only === '') return new Set(SECTIONS);
  const names = only.split(',').map((s) => s.trim());
  const unknown = names.filter((n) => !(SECTIONS as readonly string[]).includes(n));
  if (unknown.length > 0)
    throw new Error(`BENCH_ONLY: unknown ${unknown.join(', ')} (known: ${SECTIONS.join(', ')})`);
  return new Set(names as Section[]);
}

// From \`--cpu-prof\` runs on this machine (2026-11-27), not from this run's figures.
const PROFILES = `- **Idle RSS ≤ 100 MiB**: Node 24 alone holds 43 MiB; the api's heap at idle is about
  39 MiB (27 MiB used), the rest is compiled code and buffers. Bundling saved 12–20 MiB
  and a .ts preload (the lab's) another 18 MiB; what is left is the libraries' own weight
  at start: zod (0.7 MB of the bundle), TypeBox and the OpenAPI generator (swagger, yaml)
  in the api, the AWS SDK (about 1 MB) in the store.
- **api ready ≤ 500 ms**: of its start-up CPU, compiling the route schemas (ajv and
  fast-json-stringify, 14%) and parsing the 1 MB bundle (13%) are the largest parts.
- **Full path ≥ 90% of the pass-through**: the api spends about 100 µs and the store about
  50 µs per request more than the bare hop, spread thin: garbage collection (+14 µs),
  socket writes of the larger answer, the access log line (5 µs), metrics (4 µs), Fastify
  hooks, validation and serialisation (2–3 µs each), the canary context. Already taken
  out: grpc-js interceptors (the api's store client does the key, served-by and metrics
  itself), the store's log line per successful call (now debug: it was 12% of its CPU),
  the automatic tracing instrumentation.
- **Store on DynamoDB ≤ 2×**: the AWS SDK's client path per call: smithy middleware
  (13% of the store's CPU: retry, endpoint rules, schema serde, the middleware stack
  resolved per command), SigV4 signing (crypto 6%), the HTTP request to the database (6%).
  Only replacing the SDK's client would change this.
- **Lab routers ≤ 1.5× nginx**: the routers proxy in JavaScript (http-proxy-3 for
  HTTP/1.1, a Node http2 server and client for gRPC); nginx does both in C.
- **Propagation measured to ±3%**: on this shared 2-core VM, CPU per request moves by
  10–25% between consecutive 5 s measurements; the paired rounds cannot resolve 3%.
- **Tracing ≤ 15% at sampling 0.1, ≤ 5% at 0**: a profile at 0.1 attributes about 5% of
  the api's CPU to OpenTelemetry code (SDK 1.7%, API 1.0%, the service's span code 0.8%,
  export 0.1% of its wall time); at 0 a configured SDK still starts a non-recording span
  and switches the context per hop, and every log line gains its trace and span ids. Three
  full runs on 2026-11-27 measured 12.9%, 19.5% and 21.6% at 0.1, and 10.0%, 4.8% and 17.0%
  at 0: this machine's run-to-run noise is as large as the targets.`;

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');

interface Figures {
  start?: StartFigures;
  plateau?: PlateauFigures;
  path?: PathFigures;
  routers?: RouterFigures;
  tracing?: TracingFigures;
  lookup?: string[];
  store?: string[];
}

function targets(f: Figures): string[] {
  const rows: string[] = ['| target | measured | verdict |', '|---|---|---|'];
  if (f.start)
    for (const [service, b] of Object.entries(f.start.bundle)) {
      rows.push(`| ${service} ready ≤ 500 ms (image) | ${b.readyMs} ms | ${verdict(b.readyMs <= 500)} |`);
      rows.push(
        `| ${service} idle RSS ≤ 100 MiB (image) | ${b.idleMiB} MiB | ${verdict(b.idleMiB <= 100)} |`,
      );
    }
  if (f.plateau)
    for (const [service, share] of Object.entries(f.plateau.share))
      rows.push(
        `| ${service} RSS plateau ≤ 75% of its limit (traced, flags as shipped) | ${pct(share)} | ${verdict(share <= 0.75)} |`,
      );
  if (f.path) {
    rows.push(
      `| full path ≥ 90% of the pass-through (in-memory store, req/s) | ${pct(f.path.vsPassThrough)} | ${verdict(f.path.vsPassThrough >= 0.9)} |`,
    );
    rows.push(
      `| propagation cost measured to within ±3% (paired rounds, CPU/req) | ${pct(f.path.propagation.cost)} ± ${pct(f.path.propagation.within)} | ${verdict(f.path.propagation.within <= 0.03)} |`,
    );
    rows.push(
      `| store CPU/req on DynamoDB ≤ 2× in memory | ${f.path.dynamoFactor.toFixed(2)}× | ${verdict(f.path.dynamoFactor <= 2)} |`,
    );
  }
  if (f.routers)
    rows.push(
      f.routers.cpuFactor === undefined
        ? `| lab router CPU/req ≤ 1.5× nginx's | not measured: ${f.routers.missing} | **missed** |`
        : `| lab router CPU/req ≤ 1.5× nginx's | ${f.routers.cpuFactor.toFixed(2)}× | ${verdict(f.routers.cpuFactor <= 1.5)} |`,
    );
  if (f.tracing) {
    const at01 = f.tracing.cost['sampling 0.1'] ?? Number.NaN;
    const at0 = f.tracing.cost['sampling 0'] ?? Number.NaN;
    rows.push(`| tracing at sampling 0.1 costs ≤ 15% | ${pct(at01)} | ${verdict(at01 <= 0.15)} |`);
    rows.push(`| tracing configured, sampling 0, costs ≤ 5% | ${pct(at0)} | ${verdict(at0 <= 0.05)} |`);
  }
  return rows;
}

function markdown(f: Figures, seconds: number): string {
  const cpu = cpus();
  const api = shippedSettings('api-service');
  const sections: string[] = [
    `# Benchmarks

Latest \`npm run bench\` run: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${seconds} s.

## Machine and method

- ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}, ${process.platform}.
- What ships: the services run as the images run them, the esbuild bundles (\`scripts/build-services.ts\`, built first) with the manifests' \`NODE_OPTIONS\` (\`${api.nodeOptions}\`); the start table also shows the sources, as the lab runs them.
- Load: autocannon in a child process of its own (\`--json\`), ${CONNECTIONS} connections, ${SECONDS} s per measurement after a 2 s warm-up. Request: \`GET /v1/items/{id}\` of one existing item.
- CPU per request: user + system time of each process (\`/proc/<pid>/stat\`) over the measurement, divided by the requests served. On a shared 2-core machine this is steadier than req/s.
- Comparisons alternate: every scenario runs once per round, the order rotates each round, ${ROUNDS} rounds; medians are reported with the spread ((max − min) / median).
- No tracing unless stated (the services start with the telemetry preload but no OTLP endpoint, so the SDK is not loaded); metrics on.`,
  ];
  sections.push('## Targets', targets(f).join('\n'));
  if (f.start)
    sections.push(
      '## Start and idle memory',
      'Spawn → ready line; RSS one second after ready (the store connected to dynalite, the api to nothing).',
      f.start.lines.join('\n'),
    );
  if (f.plateau)
    sections.push(
      '## Memory under sustained load',
      `api → store → dynalite, three rounds of ${SECONDS * 3} s, tracing as the manifests ship it (sampling ${api.sampling.OTEL_TRACES_SAMPLER_ARG ?? '?'}, exported to a local sink); RSS sampled every 250 ms. The limit and flags are read from \`kustomize/<service>/base/deployment.yaml\`; \`canary verify\` (rule \`node-memory-fits\`) checks that old space + 3 × semi-space + 128 MiB outside the heap (${api.ceilingMiB} MiB) fits the limit.`,
      f.plateau.lines.join('\n'),
    );
  if (f.path)
    sections.push(
      '## Request path',
      'The store with `STORE_BACKEND=memory` (no database) against the bare pass-through (`passthrough-api.ts` → `passthrough-store.ts`: Fastify → one grpc-js call, fixed answer, no validation, context or metrics); (f) is the same services on dynalite (in the benchmark process).',
      f.path.lines.join('\n'),
    );
  if (f.routers)
    sections.push(
      "## The lab's routers against nginx",
      `Each router in a process of its own, the same header routing (\`lab-routers.ts\`, \`nginx.ts\`: Debian's nginx-light, one process, keep-alive upstreams); the store in memory.${f.routers.missing ? ` nginx: ${f.routers.missing}.` : ''}`,
      f.routers.lines.join('\n'),
    );
  if (f.tracing)
    sections.push(
      '## Tracing cost',
      'In-memory path, the four pairs side by side, taking turns; exporting OTLP/HTTP to a local sink.',
      f.tracing.lines.join('\n'),
    );
  if (f.lookup)
    sections.push(
      '## Route lookup: one decision, time per lookup',
      [
        '| canaries loaded | edge (Traefik rules) | mesh (GRPCRoute rules) |',
        '|---|---|---|',
        ...f.lookup,
      ].join('\n'),
    );
  if (f.store) sections.push('## The store under load (bounded work, fast losers)', f.store.join('\n'));
  sections.push('## What the profiles show where a target is missed', PROFILES);
  return `${sections.join('\n\n')}\n`;
}

async function main() {
  const started = Date.now();
  const only = selected();
  say(
    `bench: ${SECONDS}s per load, ${ROUNDS} rounds, ${CONNECTIONS} connections (BENCH_SECONDS, BENCH_ROUNDS)`,
  );
  say('bench: building the bundles (scripts/build-services.ts) ...');
  await buildBundles();
  const dynamo = await startEmbeddedDynamo();
  const f: Figures = {};
  try {
    if (only.has('start')) f.start = await startAndIdle(dynamo);
    if (only.has('plateau')) f.plateau = await plateau(dynamo, SECONDS * 3, CONNECTIONS);
    if (only.has('path')) f.path = await requestPath(dynamo, ROUNDS, SECONDS, CONNECTIONS);
    if (only.has('routers'))
      f.routers = await routers(Math.max(3, Math.ceil(ROUNDS / 2)), SECONDS, CONNECTIONS);
    if (only.has('tracing')) f.tracing = await tracing(ROUNDS, SECONDS, CONNECTIONS);
    if (only.has('lookup')) f.lookup = lookups();
    if (only.has('store')) f.store = await storeScale(dynamo);
  } finally {
    await dynamo.close();
  }
  const md = markdown(f, Math.round((Date.now() - started) / 1000));
  say(md);
  if (only.size === SECTIONS.length) {
    writeFileSync(join(repoRoot, 'docs/benchmarks.md'), md);
    say('bench: wrote docs/benchmarks.md');
  } else {
    say('bench: BENCH_ONLY is set, docs/benchmarks.md left as it was');
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
