// npm run bench: the cost of the platform, measured side by side in one run, written to
// docs/benchmarks.md with the machine and the method. Bounded: BENCH_SECONDS per load
// scenario (default 5), loopback only.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import autocannon from 'autocannon';
import { type EmbeddedDynamo, startEmbeddedDynamo } from 'local-runtime/dynalite';
import { repoRoot } from 'local-runtime/paths';
import { type ServiceProcess, startService } from 'local-runtime/process';
import {
  buildEdgeTable,
  buildMeshTable,
  type LabObject,
  selectEdgeRoute,
  selectMeshRule,
} from 'local-runtime/routing';
import { LOCAL, startApi, startStore } from 'local-runtime/services';
import { storeScale } from './store-scale.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = 32;
const say = (line: string) => process.stdout.write(`${line}\n`);

interface Load {
  rps: number;
  p50: number;
  p99: number;
  failures: number;
}

async function load(url: string, headers: Record<string, string> = {}): Promise<Load> {
  // Warm up first (JIT, connection pools), so no scenario pays for running first.
  await autocannon({ url, connections: CONNECTIONS, duration: 2, headers });
  const r = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, headers });
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    failures: r.non2xx + r.errors + r.timeouts,
  };
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

/** Spawns a helper that prints {"event":"ready","port":N}. */
function spawnReady(file: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [file], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise<{ port: number; stop: () => void }>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.includes('"ready"'))
        resolve({ port: (JSON.parse(line) as { port: number }).port, stop: () => child.kill('SIGKILL') });
    });
    child.once('exit', (code) => reject(new Error(`${file} exited ${code}`)));
  });
}

async function createItem(apiPort: number, auth: Record<string, string> = {}): Promise<string> {
  const r = await fetch(`http://127.0.0.1:${apiPort}/v1/items`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-tenant-id': 'bench',
      'idempotency-key': 'bench-item',
      ...auth,
    },
    body: JSON.stringify({
      name: 'Benchmark item',
      price_cents: 100,
      category: 'books',
      inventory_count: 10,
    }),
  });
  if (r.status !== 201 && r.status !== 200) throw new Error(`create failed: ${r.status}`);
  return ((await r.json()) as { id: string }).id;
}

async function pair(
  dynamo: EmbeddedDynamo,
  apiEnv: Record<string, string>,
  storeEnv: Record<string, string> = {},
  telemetry = true,
) {
  const store = await startStore(dynamo, storeEnv, { telemetry });
  const api = await startApi(store.ports.port ?? 0, apiEnv, { telemetry });
  return { store, api, stop: async () => Promise.all([api.stop(), store.stop()]) };
}

const pct = (a: number, b: number) => `${((a / b) * 100).toFixed(1)}%`;
const row = (name: string, l: Load) =>
  `| ${name} | ${Math.round(l.rps)} | ${l.p50} | ${l.p99} | ${l.failures} |`;

async function main() {
  const started = Date.now();
  say(`bench: ${SECONDS}s per load scenario, ${CONNECTIONS} connections (BENCH_SECONDS to change)`);
  const dynamo = await startEmbeddedDynamo();
  // A sink for exported spans, so instrumentation cost includes the export.
  const sink = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', () => resolve()));
  const otlp = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  const results: Record<string, Load> = {};
  const rss: string[] = [];
  const coldStart: string[] = [];

  // Cold start: spawn → ready line, median of three, each service.
  for (const service of ['store-service', 'api-service'] as const) {
    const times: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const t0 = performance.now();
      const p: ServiceProcess = await startService(service, {
        env: {
          ...LOCAL,
          DYNAMODB_ENDPOINT: dynamo.endpoint,
          DYNAMODB_CREATE_TABLE: 'true',
          STORE_ADDRESS: '127.0.0.1:1',
        },
      });
      times.push(performance.now() - t0);
      await p.stop();
    }
    times.sort((a, b) => a - b);
    coldStart.push(
      `| ${service} | ${Math.round(times[1] ?? 0)} ms | ${times.map((t) => Math.round(t)).join(', ')} |`,
    );
    say(`bench: cold start ${service}: ${Math.round(times[1] ?? 0)} ms (median of 3)`);
  }

  // (a) (b) the services with their defaults, without and with a routing key; the two
  // scenarios alternate over three rounds (medians reported), so neither ordering nor drift
  // favours one of them.
  const main = await pair(dynamo, {});
  const id = await createItem(main.api.ports.port ?? 0);
  const itemUrl = (port: number) => `http://127.0.0.1:${port}/v1/items/${id}`;
  const headers = { 'x-tenant-id': 'bench' };
  const idle = { api: rssMiB(main.api.pid), store: rssMiB(main.store.pid) };
  const rounds: Record<'a' | 'b', Load[]> = { a: [], b: [] };
  for (let round = 1; round <= 3; round += 1) {
    say(`bench: round ${round}/3 of (a) without a key, (b) with a key ...`);
    rounds.a.push(await load(itemUrl(main.api.ports.port ?? 0), headers));
    rounds.b.push(await load(itemUrl(main.api.ports.port ?? 0), { ...headers, 'x-canary': '123' }));
  }
  const median = (list: Load[]): Load => {
    const sorted = [...list].sort((x, y) => x.rps - y.rps);
    return sorted[Math.floor(sorted.length / 2)] ?? { rps: 0, p50: 0, p99: 0, failures: 0 };
  };
  results.a = median(rounds.a);
  results.b = median(rounds.b);
  const spread = (k: keyof typeof rounds) => rounds[k].map((r) => Math.round(r.rps)).join(' / ');
  rss.push(
    `| api-service | ${idle.api} MiB | ${rssMiB(main.api.pid)} MiB |`,
    `| store-service | ${idle.store} MiB | ${rssMiB(main.store.pid)} MiB |`,
  );
  await main.stop();

  // (d) the lab's edge and mesh routers in the path vs direct.
  say('bench: (d) through the lab edge and mesh ...');
  const { Lab } = await import('local-runtime/lab');
  const { manifestRoutes } = await import('canary-cli/lab-routes');
  const lab = await Lab.start({
    repoRoot,
    routes: manifestRoutes,
    port: 0,
    publicPort: 0,
    dataDir: undefined,
  });
  // The lab's api authenticates, as in the cluster (the pairs above run without an issuer).
  const labAuth = { authorization: `Bearer ${await lab.token('bench')}` };
  const labId = await createItem(lab.ports.internal, labAuth);
  results.d = await load(`http://127.0.0.1:${lab.ports.internal}/v1/items/${labId}`, {
    ...headers,
    ...labAuth,
  });
  const labStable = lab.status().services.find((s) => s.service === 'api-service');
  results.dDirect = await load(`http://${labStable?.address}/v1/items/${labId}`, { ...headers, ...labAuth });
  await lab.stop();

  // (e) ceiling: bare Fastify → grpc-js with a fixed answer.
  say('bench: (e) bare Fastify → grpc-js pass-through ...');
  const pStore = await spawnReady(join(repoRoot, 'packages/bench/src/passthrough-store.ts'), {});
  const pApi = await spawnReady(join(repoRoot, 'packages/bench/src/passthrough-api.ts'), {
    STORE_ADDRESS: `127.0.0.1:${pStore.port}`,
  });
  results.e = await load(itemUrl(pApi.port));
  pApi.stop();
  pStore.stop();

  // (f) floor: GetItem straight against the same embedded store.
  say('bench: (f) direct DynamoDB GetItem ...');
  const db = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    }),
  );
  const get = () =>
    db.send(new GetCommand({ TableName: 'store-items', Key: { PK: 'TENANT#bench', SK: `ITEM#${id}` } }));
  let sequential = 0;
  const seqEnd = performance.now() + 2000;
  while (performance.now() < seqEnd) {
    await get();
    sequential += 1;
  }
  let concurrent = 0;
  const concEnd = performance.now() + 2000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < concEnd) {
        await get();
        concurrent += 1;
      }
    }),
  );
  db.destroy();

  // (g) route lookup with 1, 100 and 1,000 canaries loaded.
  say('bench: (g) route lookup ...');
  const lookups: string[] = [];
  for (const n of [1, 100, 1000]) {
    const objects: LabObject[] = [
      {
        apiVersion: 'traefik.io/v1alpha1',
        kind: 'IngressRoute',
        metadata: { name: 'stable', namespace: 'apps' },
        spec: {
          entryPoints: ['internal'],
          routes: [
            {
              kind: 'Rule',
              match: 'Host(`api.example.com`)',
              priority: 10,
              services: [{ name: 'api-service', namespace: 'apps', port: 'http' }],
            },
          ],
        },
      },
    ];
    for (let pr = 1; pr <= n; pr += 1) {
      objects.push({
        apiVersion: 'traefik.io/v1alpha1',
        kind: 'IngressRoute',
        metadata: { name: `c${pr}`, namespace: 'apps' },
        spec: {
          entryPoints: ['internal'],
          routes: [
            {
              kind: 'Rule',
              match: `Host(\`api.example.com\`) && Header(\`X-Canary\`, \`${pr}\`)`,
              priority: 1000,
              services: [{ name: 'api-service', namespace: `api-canary-pr-${pr}`, port: 'http' }],
            },
          ],
        },
      });
      objects.push({
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'GRPCRoute',
        metadata: { name: `g${pr}`, namespace: 'apps' },
        spec: {
          parentRefs: [{ kind: 'Service', name: 'store-service' }],
          rules: [
            {
              matches: [
                {
                  method: { service: 'store.v1.StoreService' },
                  headers: [{ name: 'x-canary', value: String(pr) }],
                },
              ],
              backendRefs: [{ name: 'store-service', namespace: `store-canary-pr-${pr}`, port: 8080 }],
            },
            { backendRefs: [{ name: 'store-service', namespace: 'apps', port: 8080 }] },
          ],
        },
      });
    }
    const edge = buildEdgeTable(objects);
    const mesh = buildMeshTable(objects);
    const request = { host: 'api.example.com', path: '/v1/items', headers: { 'x-canary': String(n) } };
    const call = { service: 'store.v1.StoreService', method: 'GetItem', headers: { 'x-canary': String(n) } };
    const time = (fn: () => unknown) => {
      const iterations = 20_000;
      const t0 = performance.now();
      for (let i = 0; i < iterations; i += 1) fn();
      return ((performance.now() - t0) * 1000) / iterations;
    };
    const edgeUs = time(() => selectEdgeRoute(edge, 'internal', request));
    const meshUs = time(() => selectMeshRule(mesh, 'store-service.apps', call));
    lookups.push(`| ${n} | ${edgeUs.toFixed(2)} µs | ${meshUs.toFixed(2)} µs |`);
  }

  // The store under load: bounded lists on a large tenant, and the losing side of contention.
  const scale = await storeScale(dynamo);

  // Instrumentation cost: no telemetry, then sampling 0, 0.1 and 1.0 exporting to a local sink.
  const tracing: string[] = [];
  const variants: Array<[string, Record<string, string> | null]> = [
    ['not instrumented', null],
    ['sampling 0', { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' }],
    ['sampling 0.1', { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' }],
    ['sampling 1.0', { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '1' }],
  ];
  let baseline = 0;
  for (const [name, env] of variants) {
    say(`bench: tracing, ${name} ...`);
    const otel =
      env === null ? {} : { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: otlp, OTEL_BSP_MAX_QUEUE_SIZE: '8192' };
    const p = await pair(dynamo, otel, otel, env !== null);
    const r = await load(itemUrl(p.api.ports.port ?? 0), headers);
    await p.stop();
    if (env === null) baseline = r.rps;
    results[name] = r;
    tracing.push(
      `| ${name} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${env === null ? '-' : pct(baseline - r.rps, baseline)} |`,
    );
  }
  sink.close();
  await dynamo.close();

  const { a, b, d, e, dDirect } = results as Record<string, Load>;
  if (!a || !b || !d || !e || !dDirect) throw new Error('missing results');
  const target = (ok: boolean) => (ok ? 'met' : '**missed**');
  const propagationCost = (a.rps - b.rps) / a.rps;
  // Spread of (a) across its rounds: a difference smaller than this is not a finding.
  const aRounds = rounds.a.map((r) => r.rps);
  const noise = (Math.max(...aRounds) - Math.min(...aRounds)) / a.rps;
  const labRatio = d.rps / dDirect.rps;
  const cpu = cpus();
  const md = `# Benchmarks

Latest \`npm run bench\` run: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${Math.round((Date.now() - started) / 1000)} s.

## Machine and method

- ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}, ${process.platform}.
- Load: autocannon, ${CONNECTIONS} connections, ${SECONDS} s per scenario after a 2 s warm-up, from the benchmark process on the same machine (it competes with the services for the ${cpu.length} cores; every scenario pays that equally).
- Request: \`GET /v1/items/{id}\` of one existing item (tenant \`bench\`): api-service → store-service (gRPC) → dynalite (in-memory), unless stated.
- Services run as in the lab: their own processes, started with the telemetry \`--import\` but no OTLP endpoint, so the SDK is not loaded (tracing costs are in their own table); metrics on.
- Figures are from one run on a shared machine. The request path is bound by dynalite (see (f)), whose throughput varies by tens of percent between runs: compare rows within one run, and read the round-by-round figures before trusting a difference of a few percent.
- (d) runs the lab's edge and mesh routers inside the benchmark process, sharing its core with the load generator.

## Request path

| scenario | req/s | p50 ms | p99 ms | failures |
|---|---|---|---|---|
${row('(a) api → store → dynalite (median of 3 rounds)', a)}
${row('(b) same, with X-Canary: 123', b)}
${row('(d) through the lab edge + mesh routers', d)}
${row('(d) same lab, api called directly (mesh only)', dDirect)}
${row('(e) ceiling: bare Fastify → grpc-js, fixed answer', e)}

| ratio | value | target |
|---|---|---|
| rounds (req/s) | (a) ${spread('a')}; (b) ${spread('b')} | - |
| (b)/(a): with a key (propagated to the store) vs without | ${pct(b.rps, a.rps)} (cost ${(propagationCost * 100).toFixed(1)}%) | ≤ 3% cost: ${Math.abs(propagationCost) < noise ? `inconclusive, within this run's ${(noise * 100).toFixed(0)}% spread between rounds` : target(propagationCost <= 0.03)} |
| (d): lab edge + mesh vs direct | ${pct(d.rps, dDirect.rps)} | ≥ 85%: ${target(labRatio >= 0.85)} |
| (a)/(e): full services vs bare pass-through | ${pct(a.rps, e.rps)} | - |

(f) floor, DynamoDB GetItem straight against the same dynalite: ${Math.round(sequential / 2)} /s sequential, ${Math.round(concurrent / 2)} /s at ${CONNECTIONS} concurrent.

## Route lookup (g): one decision, time per lookup

| canaries loaded | edge (Traefik rules) | mesh (GRPCRoute rules) |
|---|---|---|
${lookups.join('\n')}

## The store under load (issue: bounded work, fast losers)

${scale.join('\n')}

## Tracing cost (OpenTelemetry, exporting OTLP/HTTP to a local sink)

| variant | req/s | p50 ms | p99 ms | throughput cost |
|---|---|---|---|---|
${tracing.join('\n')}

Target: ≤ 15% at sampling 0.1.

## Start and memory

| service | cold start (spawn → ready), median | three runs (ms) |
|---|---|---|
${coldStart.join('\n')}

| service | idle RSS | RSS after load (a)+(b) |
|---|---|---|
${rss.join('\n')}

Targets: each service ready ≤ 1 s; idle RSS ≤ 100 MB.

## Where targets are missed, and why

- **Propagation ≤ 3%**: on this machine the request path is bound by dynalite, and its
  throughput drifts upward within a run (see the rounds). The measured difference between
  requests with and without a key is of the same size as that drift, so this run cannot show the
  target met or missed; a faster store is needed to isolate a few percent.
- **Lab routers ≥ 85% of direct**: the edge and mesh routers run in the benchmark process,
  which also generates the load on the same two cores; each request also takes two extra
  loopback hops. Moving the routers into a process of their own is the next step.
- **Tracing ≤ 15% at 0.1**: sampling 0 already costs about as much as 0.1, so the cost is
  the instrumentation itself (patched http/grpc-js/Fastify, context propagation, a
  non-recording span per hop), not the export. Without an OTLP endpoint the SDK is not
  loaded at all, which is the default.
- **Ready ≤ 1 s**: the store meets it; the api is at about 1 s, spent loading its modules
  (Fastify, swagger, TypeBox, grpc-js) and stripping TypeScript types.
- **Idle RSS ≤ 100 MB**: Node 24 starts at about 42 MiB, type stripping adds about
  16 MiB, and the AWS SDK (store) or Fastify with swagger (api) the rest. Reaching 100 MB
  would need a JavaScript build for the images and trimmed dependencies.
`;
  writeFileSync(join(repoRoot, 'docs/benchmarks.md'), md);
  say(md);
  say('bench: wrote docs/benchmarks.md');
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
