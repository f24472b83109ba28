// npm run bench: the cost of the platform, measured side by side in one run, written to
// docs/benchmarks.md with the machine, the method and each target met or missed.
//   BENCH_SECONDS  seconds per measured load (default 5; each after a 2 s warm-up)
//   BENCH_ROUNDS   rounds of the alternating comparisons (default 5)
//   BENCH_PROPAGATION_ROUNDS  side-by-side rounds of the propagation cost (default 60, 3 s each)
//   BENCH_TRACING_ROUNDS      side-by-side rounds of each tracing variant (default 16, 3 s each)
//   BENCH_LAB_ROUNDS          rounds of list traffic on the lab (default 10, BENCH_LAB_REQUESTS each)
//   BENCH_LAB_REQUESTS        list requests per round (default 5000)
//   BENCH_ONLY     comma-separated sections to run (start, plateau, path, clients, propagation,
//                  routers, tracing, lookup, store, lab); with it the figures are printed,
//                  docs/benchmarks.md is kept
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedDynamo } from 'local-runtime/dynalite';
import { repoRoot } from 'local-runtime/paths';
import { type ClientFigures, dynamoClients } from './dynamo-clients.ts';
import { type LabMemoryFigures, labMemory } from './lab-memory.ts';
import { lookups } from './lookup.ts';
import { type PropagationFigures, propagation } from './propagation.ts';
import { type PathFigures, requestPath } from './request-path.ts';
import { type RouterFigures, routers } from './routers.ts';
import { buildBundles, canarySettings, shippedSettings } from './shipped.ts';
import { FIRST_WARMUP_SECONDS, formatEstimate, ROUND_WARMUP_SECONDS } from './side-by-side.ts';
import { type PlateauFigures, plateau, type StartFigures, startAndIdle } from './start-memory.ts';
import { storeScale } from './store-scale.ts';
import { type TracingFigures, tracing } from './tracing.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONNECTIONS = 32;
const SECTIONS = [
  'start',
  'plateau',
  'path',
  'clients',
  'propagation',
  'routers',
  'tracing',
  'lookup',
  'store',
  'lab',
] as const;
// Side-by-side rounds of the propagation cost, 3 s each: one round's ratio moves by about
// ±9–12% here, so a 95% interval of ±3% takes 40–60.
const PROPAGATION_ROUNDS = Number(process.env.BENCH_PROPAGATION_ROUNDS ?? 60);
const SIDE_BY_SIDE_SECONDS = 3;
// Side-by-side rounds of each tracing variant, 3 s each.
const TRACING_ROUNDS = Number(process.env.BENCH_TRACING_ROUNDS ?? 16);
// Rounds of list traffic on the lab and list requests per round.
const LAB_ROUNDS = Number(process.env.BENCH_LAB_ROUNDS ?? 10);
const LAB_REQUESTS = Number(process.env.BENCH_LAB_REQUESTS ?? 5000);
// Connections of the list traffic on the lab (every request crosses five processes' work
// on two cores: routers, api, store, the embedded DynamoDB).
const LAB_CONNECTIONS = 16;
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

// From \`--cpu-prof\` runs on this machine (2026-11-27; the store's client 2026-12-04; its signer's figures from a loop and the clients section, 2026-12-05), not from this run's figures.
const PROFILES = `- **Idle RSS ≤ 100 MiB**: the runtime sets most of it. The same api bundle idles at
  83 MiB under Node 20.20 and 111 MiB under Node 24.21 (the images' Node): 42 vs 52 MiB
  of the binary mapped in, 42 vs 64 MiB anonymous, the JS heap the same (37–38 MiB
  committed, 18–22 MiB used). Heap flags hardly matter (semi-space 1 MiB: 107 MiB, 16 MiB:
  113 MiB). Taken out: loading the sources module by module (the bundles; the start
  table shows both), esbuild's
  keepNames helper (about −7 MiB) and inline license comments, one of which made V8 hold
  the whole 2.8 MB source as two-byte characters (−2.7 MiB external). Each library left
  adds a few MiB at most (Fastify, ajv, TypeBox, zod, grpc-js, prom-client).
- **api ready ≤ 500 ms** (met, with little room): of its start-up CPU, compiling the
  route schemas (ajv and fast-json-stringify, 14%) and parsing the bundle (13%) are the
  largest parts.
- **Full path ≥ 90% of the pass-through**: profiled, the api spends about 350 µs per
  request (the profiler adds to it). Apart from kernel time in socket writes (about 47 µs,
  which moves 10–30 µs between runs) and garbage collection (35 µs), grpc-js's client
  path is the largest part (about 60 µs over its call layers, as in the pass-through);
  the api's own work is spread over dozens of functions, none above 2%: the access log
  line (pino, about 12 µs with its write), metrics (5 µs), Fastify hooks (CORS, canary,
  tracing, security headers), validation and serialisation, the store client. Taken out:
  esbuild's keepNames helper, which re-named every closure as it was created (about 36 µs,
  8% of the api's CPU), semi-spaces of 16 MiB (14% more api and 25% more store CPU per
  request than 32 MiB; the pass-through runs with the same flags), grpc-js interceptors,
  the store's log line per successful call, the automatic tracing instrumentation.
- **Store on DynamoDB ≤ 2.5×** (met since the store signs with its own SigV4): with the
  AWS SDK the store spent about 1,185 µs per request on dynalite against 185 µs in memory
  (SigV4 about 100 µs, Node's HTTP client 75 µs, the SDK's middleware, signer and serde
  most of the remaining 400 µs). The store's own client (\`dynamo/thin.ts\`: undici's pool,
  no streams) profiled under the bench's load (2026-12-04, one GetItem per request, signed
  by aws4 then): the DynamoDB call was about 16% of the store's busy CPU, SigV4 10% of it
  (two SHA-256 hashes and an HMAC whose key object Node imported again on every request,
  and a canonical request built from the headers), the exchange on undici's pool about 6%;
  garbage collection 8.5% and the kernel's socket writes 4% of the whole. Taken out: aws4,
  for \`dynamo/sigv4.ts\`, which keeps the day's signing key as a KeyObject and writes the
  canonical request of the one request shape DynamoDB's JSON API has (about 20 µs → 5 µs
  per signature in a loop; the client alone 92 → 71 µs per GetItem). The rest is the gRPC
  path the in-memory store runs too. Why not the others (the client table): the SDK tuned
  (its own undici handler, account-id endpoints off) still runs its middleware stack and
  serde (several times the thin client's CPU per call alone); aws-lite signs with aws4
  over Node's HTTP agent, has no AbortSignal or request timeout (its adapter stops waiting
  at the deadline while the request runs on), retries any failure unless told not to, and
  hides the socket error code in its message.
- **Lab routers ≤ 1.5× nginx**: the routers proxy in JavaScript (http-proxy-3 for
  HTTP/1.1, a Node http2 server and client for gRPC); nginx does both in C. A profile of
  the router process shows socket writes 10.5% of its wall time, Node's HTTP client and
  agent 5%, http2 4%, http-proxy-3 2%, the lab's own router code 2.2%.
- **Tracing ≤ 15% at sampling 0.1, ≤ 5% at 0**: with the SDK configured, every request
  still gets a sampling decision, new trace and span ids and a context at the api, a
  \`traceparent\` on its gRPC call (a new value each call) and an extracted context at the
  store (profiled side by side before the change below: startSpan 7 µs, contexts 6 µs, ids
  2 µs, 15–25 µs more garbage collection in the api, about half that in the store). Taken
  out: the tracer looked up per span (3–5 µs), the attributes of spans that are not
  recorded, and the gRPC spans inside a trace that is not sampled (they carry the
  caller's context on).
- **Embedded DynamoDB's RSS growth ≤ 1 MiB per 10k list requests**: with its iterators
  closed, the store's JS heap stays at 9 MiB and no iterator stays open between rounds;
  what is left moves in steps of 1–4 MiB. The run before the one above (same code and
  settings, load average 3–21, 188 requests/s) read 199 / 201 / 201 / 202 / 209 / 209 /
  209 / 209 / 209 / 209 MiB: +0.0 MiB per 10k over the last five rounds; the +1.6 MiB
  above is one 4 MiB step in the last round.
- **Lab process's RSS growth ≤ 1 MiB per 10k list requests**: not the store's path (the
  process holds the edge and mesh routers and the supervisor). Its JS heap stays at 26 MiB
  while its RSS rises in steps (+35 and +23 MiB above; 241 → 334 MiB in the run before),
  so the growth is outside the JS heap; not profiled yet.`;

// Earlier runs of this section on 2026-12-04, before each part of the change; not from
// this run's figures.
const LAB_BEFORE = `Before, with the store in the lab process (same section, 2026-12-04):

- dynalite 4.0.0 as published (4 rounds): it closes its LevelDB iterators with \`iterator.return()\`, which abstract-level's iterators do not have, so none was ever closed. The lab process's RSS went 283 → 915 / 1460 / 1911 / 2444 MiB and its JS heap after a full GC 33 → 136 / 246 / 355 / 464 MiB, with 15,000 more iterators open after every 5000 list requests (two per Query, a value iterator and the LevelDB iterator under it; a list request made 1.5 Queries on average): +1,066 MiB per 10k list requests over the last two rounds, no plateau. A heap snapshot of dynalite alone (on disk) after 3,000 Queries held 3,000 \`DefaultValueIterator\`s and 3,000 classic-level \`Iterator\`s with their read-ahead (74,000 row strings, 36.5 MiB); the rest of the growth was outside the JS heap, in the LevelDB iterators and what they pin.
- Iterators closed (10 rounds): the JS heap stayed at 27–28 MiB, no iterator open between rounds; RSS 266 → 440 / 457 / 464 / 469 / 483 / 486 / 488 / 489 / 501 / 502 MiB, +9.0 MiB per 10k over the last five rounds. Outside the JS heap: LevelDB reads run on libuv's worker threads, and glibc gives each thread a malloc arena of its own; dynalite alone with \`MALLOC_ARENA_MAX=2\` stayed at 324–327 MiB over 45,000 Queries where it crept from 331 to 364 MiB without. The store's process also committed 140–155 MiB of V8 heap for 9 MiB in use (the young generation V8 sizes from the machine), hence \`--max-semi-space-size=8\` (its RSS 344 → 209 MiB).

A PR canary's processes run from the sources without the manifests' heap flags: each idles at 130–160 MiB (type stripping, V8 sizing the heap from the machine; the start table) and grows to 260–320 MiB under traffic (as in the plateau table without flags). The bundles with the shipped flags idle at about 100–110 MiB each and stay near 190–210 MiB under load.`;

const signedMiB = (x: number) => `${x < 0 ? '−' : '+'}${Math.abs(x).toFixed(1)} MiB`;
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');

interface Figures {
  start?: StartFigures;
  plateau?: PlateauFigures;
  path?: PathFigures;
  clients?: ClientFigures;
  routers?: RouterFigures;
  tracing?: TracingFigures;
  propagation?: PropagationFigures;
  lookup?: string[];
  store?: string[];
  lab?: LabMemoryFigures;
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
  if (f.plateau) {
    for (const [service, share] of Object.entries(f.plateau.share))
      rows.push(
        `| ${service} RSS plateau ≤ 75% of its limit (traced, flags as shipped) | ${pct(share)} | ${verdict(share <= 0.75)} |`,
      );
    for (const [service, share] of Object.entries(f.plateau.canaryShare))
      rows.push(
        `| ${service} RSS plateau ≤ 75% of the canary profile's limit (traced, the profile's flags) | ${pct(share)} | ${verdict(share <= 0.75)} |`,
      );
  }
  if (f.path) {
    rows.push(
      `| full path ≥ 90% of the pass-through (in-memory store, req/s) | ${pct(f.path.vsPassThrough)} | ${verdict(f.path.vsPassThrough >= 0.9)} |`,
    );
    rows.push(
      `| store CPU/req on DynamoDB ≤ 2.5× in memory (request path, plain HTTP) | ${f.path.dynamoFactor.toFixed(2)}× | ${verdict(f.path.dynamoFactor <= 2.5)} |`,
    );
  }
  if (f.clients)
    rows.push(
      `| store CPU/req on DynamoDB ≤ 2.5× in memory (the store's client behind TLS, side by side) | ${f.clients.thinTlsFactor.toFixed(2)}× | ${verdict(f.clients.thinTlsFactor <= 2.5)} |`,
    );
  if (f.propagation) {
    const e = f.propagation.estimate;
    rows.push(
      `| propagation cost measured to within ±3% (side by side, CPU/req, 95% interval) | ${formatEstimate(e)} (${e.rounds} rounds) | ${verdict(e.within <= 0.03)} |`,
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
    const cpu = (name: string) => {
      const e = f.tracing?.cpu[name];
      return e === undefined ? '' : ` (CPU/req ${formatEstimate(e)})`;
    };
    rows.push(
      `| tracing at sampling 0.1 costs ≤ 15% of throughput | ${pct(at01)}${cpu('sampling 0.1')} | ${verdict(at01 <= 0.15)} |`,
    );
    rows.push(
      `| tracing configured, sampling 0, costs ≤ 5% of throughput | ${pct(at0)}${cpu('sampling 0')} | ${verdict(at0 <= 0.05)} |`,
    );
  }
  if (f.lab) {
    const { dynamo, lab } = f.lab.growthPer10k;
    rows.push(
      `| embedded DynamoDB's RSS grows ≤ 1 MiB per 10k list requests in the lab (last half of the rounds) | ${signedMiB(dynamo)} | ${verdict(dynamo <= 1)} |`,
    );
    rows.push(
      `| lab process's (routers') RSS grows ≤ 1 MiB per 10k list requests (last half of the rounds) | ${signedMiB(lab)} | ${verdict(lab <= 1)} |`,
    );
    const mb = (mib: number) => Math.round((mib * 2 ** 20) / 1e6);
    rows.push(
      `| a two-service PR canary in the lab ≤ 150 MB (api + store as built, RSS once ready; PSS; RSS after 2k requests) | ${mb(f.lab.canaryMiB)} MB (${f.lab.canaryMiB} MiB); PSS ${mb(f.lab.canaryPssMiB)} MB; ${mb(f.lab.canaryLoadedMiB)} MB | ${verdict(mb(f.lab.canaryMiB) <= 150)} |`,
    );
    for (const o of f.lab.open)
      rows.push(
        `| ${o.canaries} open PR canaries in the lab: memory, \`lab add\`, a request to the newest (reported) | ${o.rssMiB} MiB RSS, ${o.pssMiB} MiB PSS; ${o.addMs} ms; p50 ${o.p50Canary.toFixed(1)} ms | reported |`,
      );
  }
  return rows;
}

/** 1-minute load average at the start of the run and at its end. */
const load = { start: loadavg()[0] ?? 0, end: 0 };

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
- No tracing unless stated (the services start with the telemetry preload but no OTLP endpoint, so the SDK is not loaded); metrics on.
- Load: the 1-minute load average was ${load.start.toFixed(1)} when the run started and ${load.end.toFixed(1)} when it ended, on ${cpu.length} cores.${load.start > cpu.length || load.end > cpu.length ? ' Other work shared the machine during the run: absolute figures (CPU µs per request, req/s, latency) are inflated and move between rounds; ratios taken side by side or in alternating rounds (× in-memory, propagation, tracing) are steadier than the absolute figures, and the spreads say how far rounds were apart.' : ''}`,
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
      `api → store → dynalite, three rounds of ${SECONDS * 3} s, tracing as the manifests ship it (sampling ${api.sampling.OTEL_TRACES_SAMPLER_ARG ?? '?'}, exported to a local sink); RSS sampled every 250 ms. The limit and flags are read from \`kustomize/<service>/base/deployment.yaml\`; \`canary verify\` (rule \`node-memory-fits\`) checks that old space + 3 × semi-space + 128 MiB outside the heap (${api.ceilingMiB} MiB) fits the limit. The same load on the canary profile (\`manifests-microservices/canary/profile.yaml\`, every PR canary's: \`${canarySettings().nodeOptions}\`, limit ${canarySettings().limitMiB} MiB, ceiling ${canarySettings().ceilingMiB} MiB).`,
      f.plateau.lines.join('\n'),
    );
  if (f.path)
    sections.push(
      '## Request path',
      'The store with `STORE_BACKEND=memory` (no database) against the bare pass-through (`passthrough-api.ts` → `passthrough-store.ts`: Fastify → one grpc-js call, fixed answer, no validation, context or metrics; run with the same heap flags as the services); (f) is the same services on dynalite (in the benchmark process).',
      f.path.lines.join('\n'),
    );
  if (f.clients)
    sections.push(
      '## DynamoDB client',
      `The store's client (\`store-service/src/dynamo/thin.ts\`) and the candidates it was chosen over (\`dynamo/candidates/\`), each built into a store bundle of its own with the shipped build's settings (\`dynamo-clients.ts\`). Every candidate passes the repository contract (\`store-service/test/repositories.test.ts\`) and the client tests (SigV4 against the AWS test suite's vector, abort, timeout, a lost answer, throttling: \`dynamo-client.test.ts\`). The stores reach the embedded DynamoDB through a TLS hop (a Node TLS server in the bench process, P-256 certificate, trusted with \`NODE_EXTRA_CA_CERTS\`); the api in front of each as shipped; \`GET /v1/items/{id}\` (one consistent GetItem per request); ${CONNECTIONS} connections, ${SECONDS} s per measurement after a 2 s warm-up, all scenarios once per round in rotating order, ${ROUNDS} rounds. Ready and idle RSS: the bundle started three times (the clients taking turns), RSS one second after its ready line (its table checked through the TLS hop).`,
      f.clients.lines.join('\n'),
    );
  if (f.propagation)
    sections.push(
      '## Propagation cost',
      `Two identical in-memory stacks (api + store) loaded at the same time, each by its own autocannon (${CONNECTIONS / 2} connections, ${SIDE_BY_SIDE_SECONDS} s per round after a ${ROUND_WARMUP_SECONDS} s warm-up, ${FIRST_WARMUP_SECONDS} s before each stack's first); one sends \`X-Canary: 123\` (parsed, echoed, carried to the store in the gRPC metadata and baggage, served-by collected back), the other no key; the key moves to the other stack every round. What the shared machine does meanwhile slows both alike, so the per-round ratio of CPU per request is much steadier than consecutive runs. The cost is the geometric mean of the ratios with its 95% confidence interval (Student's t).`,
      f.propagation.lines.join('\n'),
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
      `In-memory path; each traced stack (OTLP/HTTP to a local sink, \`parentbased_traceidratio\`) loaded at the same time as an untraced one (${CONNECTIONS / 2} connections each, ${SIDE_BY_SIDE_SECONDS} s per round after a ${ROUND_WARMUP_SECONDS} s warm-up, ${FIRST_WARMUP_SECONDS} s before each stack's first), the three variants taking turns round by round. CPU per request is compared within each round (95% interval over rounds); the throughput cost of a CPU-bound service follows as 1 − untraced / traced.`,
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
  if (f.lab)
    sections.push(
      "## The lab's memory under list traffic, and per PR canary",
      `A lab as \`canary lab up\` runs it, in a process of its own (\`lab-holder.ts\`: the edge and mesh routers and the supervisor; the embedded DynamoDB, data on disk, in a process of its own with \`MALLOC_ARENA_MAX=2\` and \`--max-semi-space-size=8\`; the stable services from the sources). ${LAB_ROUNDS} rounds of ${LAB_REQUESTS} list requests through its guarded entrypoint (autocannon, counted requests, ${LAB_CONNECTIONS} connections; a quarter each of a first page, a later page (\`page_token\`), a category (an index query) and a search (a filter), 20 items a page, on a tenant of 2,000 items created first through the lab). Half a second after each round: the RSS of both processes, their JS heap after a full GC and the store's open LevelDB iterators. Growth per 10k requests is the least-squares slope over the first and the last half of the rounds. Then \`lab add\` of two-service PRs (api-service and store-service) one after the other up to 10 open: a canary runs its bundle with the canary profile's heap flags when the bundle is built and newer than its sources (the bench builds them first), which the table says; the first canary's memory once ready and after 2,000 list requests routed to it with \`X-Canary\`; with 1, 5 and 10 open, the memory of all canaries, the mean time of the \`lab add\`s since the previous count, and the median time of a list request through the lab to the newest canary and to stable.`,
      f.lab.lines.join('\n'),
      LAB_BEFORE,
    );
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
    if (only.has('clients')) f.clients = await dynamoClients(dynamo, ROUNDS, SECONDS, CONNECTIONS);
    if (only.has('propagation'))
      f.propagation = await propagation(PROPAGATION_ROUNDS, SIDE_BY_SIDE_SECONDS, CONNECTIONS);
    if (only.has('routers'))
      f.routers = await routers(Math.max(3, Math.ceil(ROUNDS / 2)), SECONDS, CONNECTIONS);
    if (only.has('tracing')) f.tracing = await tracing(TRACING_ROUNDS, SIDE_BY_SIDE_SECONDS, CONNECTIONS);
    if (only.has('lookup')) f.lookup = lookups();
    if (only.has('store')) f.store = await storeScale(dynamo);
    if (only.has('lab')) f.lab = await labMemory(LAB_ROUNDS, LAB_REQUESTS, LAB_CONNECTIONS);
  } finally {
    await dynamo.close();
  }
  load.end = loadavg()[0] ?? 0;
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
