// The store's DynamoDB client against the candidates it was chosen over
// (store-service/src/dynamo/candidates): each built into a store bundle of its own (the
// shipped build's settings, dynamodb.ts replaced by the candidate's factory), on the
// embedded DynamoDB behind a TLS hop (as DynamoDB is reached in AWS), loaded side by side
// in rotating rounds with an in-memory store for reference; start-up and idle memory of
// each bundle.
import { execFile, spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createServer } from 'node:tls';
import { promisify } from 'node:util';
import { build, type Plugin } from 'esbuild';
import type { EmbeddedDynamo } from 'local-runtime/dynalite';
import { repoRoot } from 'local-runtime/paths';
import { LOCAL, TRUST_HEADERS } from 'local-runtime/services';
import { CANDIDATES, type Candidate, FACTORIES } from 'store-service/dynamo-candidates';
import { type Load, median, rotated, rssMiB, spread } from './load.ts';
import { shippedSettings, startShipped } from './shipped.ts';
import { IN_MEMORY, type ItemTarget, loadItem, startStack, stopStacks } from './stack.ts';
import { createItem } from './start-memory.ts';

const run = promisify(execFile);
const say = (line: string) => process.stdout.write(`${line}\n`);
const STORE = join(repoRoot, 'store-service');

type Client = 'thin' | Candidate;
const CLIENTS: readonly Client[] = ['thin', ...CANDIDATES];
const NAMES: Record<Client, string> = {
  thin: 'thin: own SigV4 + undici pool (the store’s)',
  sdk: 'AWS SDK v3 as configured before',
  'sdk-tuned': 'AWS SDK v3 tuned',
  'aws-lite': '@aws-lite/client + @aws-lite/dynamodb',
};

/**
 * Where the candidate bundles go: packages/bench/dist/store/ (ignored by git, and not
 * store-service/dist/, which each build of the services replaces), with the descriptor
 * files the store reads from `../descriptor/` beside its bundle.
 */
const OUT = join(repoRoot, 'packages/bench/dist');

/** The store bundle with `client`: the store's own, or dynamodb.ts replaced by a candidate's factory. */
async function buildStore(client: Client): Promise<string> {
  const outfile = join(OUT, 'store', `bench-${client}.js`);
  const replace: Plugin = {
    name: 'dynamo-candidate',
    setup(b) {
      if (client === 'thin') return;
      const { file, factory } = FACTORIES[client];
      b.onResolve({ filter: /^\.\/dynamodb\.ts$/ }, (args) =>
        args.importer === join(STORE, 'src/main.ts') ? { path: client, namespace: 'candidate' } : undefined,
      );
      b.onLoad({ filter: /.*/, namespace: 'candidate' }, () => ({
        contents: `export { ${factory} as createDynamo } from ${JSON.stringify(join(STORE, 'src/dynamo/candidates', file))};`,
        resolveDir: join(STORE, 'src'),
        loader: 'ts',
      }));
    },
  };
  // The settings of scripts/build-services.ts.
  await build({
    entryPoints: [join(STORE, 'src/main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
    minifyWhitespace: true,
    minifySyntax: true,
    minifyIdentifiers: false,
    legalComments: 'none',
    logLevel: 'error',
    external: ['grpc-health-check', 'grpc-health-check/*'],
    plugins: [replace],
  });
  return outfile;
}

/** A TLS hop in front of the embedded DynamoDB: a self-signed certificate for 127.0.0.1, trusted through NODE_EXTRA_CA_CERTS. */
async function tlsHop(target: string) {
  const dir = await mkdtemp(join(tmpdir(), 'bench-tls-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  ]);
  const upstream = new URL(target);
  const server = createServer({ key: await readFile(key), cert: await readFile(cert) }, (socket) => {
    const up = connect(Number(upstream.port), upstream.hostname);
    socket.pipe(up).pipe(socket);
    socket.on('error', () => up.destroy());
    up.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  return {
    endpoint: `https://127.0.0.1:${port}`,
    caFile: cert,
    async close() {
      server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

interface Store {
  readonly pid: number;
  readonly port: number;
  readonly readyMs: number;
  stop(): Promise<void>;
}

/**
 * A store bundle with the image's heap flags, until its ready line (without the telemetry
 * preload, which loads nothing when no OTLP endpoint is set).
 */
function startStore(bundle: string, env: Record<string, string>): Promise<Store> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [bundle], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...LOCAL,
      ...TRUST_HEADERS,
      NODE_OPTIONS: shippedSettings('store-service').nodeOptions,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${bundle}: not ready after 60 s`)), 60_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.includes('"ready"')) return;
      clearTimeout(timer);
      const ready = JSON.parse(line) as { port: number };
      resolve({
        pid: child.pid ?? -1,
        port: ready.port,
        readyMs: performance.now() - t0,
        async stop() {
          child.kill('SIGTERM');
          await exited;
        },
      });
    });
    child.once('exit', (code) => reject(new Error(`${bundle} exited ${code}`)));
  });
}

/** CPU µs per GetItem of one client alone in a process (client-calls.ts), through `endpoint`. */
async function callCost(client: Client, endpoint: string, caFile: string): Promise<number> {
  const { stdout } = await run(
    process.execPath,
    [
      `--max-semi-space-size=${shippedSettings('store-service').flags.semiSpaceMiB}`,
      join(import.meta.dirname, 'client-calls.ts'),
      client,
      endpoint,
      '5000',
      '32',
    ],
    { cwd: repoRoot, env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile } },
  );
  const done = stdout.split('\n').find((l) => l.includes('"done"'));
  if (done === undefined) throw new Error(`client-calls ${client}: no result`);
  return (JSON.parse(done) as { cpuPerCall: number }).cpuPerCall;
}

export interface ClientFigures {
  readonly lines: string[];
  /** Store CPU per request of the store's client behind TLS / in memory (medians). */
  readonly thinTlsFactor: number;
}

type Scenario = 'memory' | 'thin-plain' | Client;

export async function dynamoClients(
  dynamo: EmbeddedDynamo,
  rounds: number,
  seconds: number,
  connections: number,
): Promise<ClientFigures> {
  say('bench: DynamoDB clients: building a store bundle per client ...');
  for (const dir of ['packages/service-kit/descriptor', 'packages/store-contract/descriptor'])
    await cp(join(repoRoot, dir), join(OUT, 'descriptor'), { recursive: true });
  const bundles = Object.fromEntries(
    await Promise.all(CLIENTS.map(async (c) => [c, await buildStore(c)] as const)),
  ) as Record<Client, string>;
  const hop = await tlsHop(dynamo.endpoint);
  const tlsEnv = (table: string) => ({
    DYNAMODB_ENDPOINT: hop.endpoint,
    NODE_EXTRA_CA_CERTS: hop.caFile,
    DYNAMODB_CREATE_TABLE: 'true',
    TABLE_NAME: table,
  });
  const startUp: Record<Client, { ready: number[]; rss: number[] }> = {
    thin: { ready: [], rss: [] },
    sdk: { ready: [], rss: [] },
    'sdk-tuned': { ready: [], rss: [] },
    'aws-lite': { ready: [], rss: [] },
  };
  const stores: Store[] = [];
  const apis: Array<{ stop(): Promise<unknown> }> = [];
  const mem = await startStack('in memory', IN_MEMORY);
  try {
    // Start-up and idle memory, three times each, the clients taking turns.
    for (let i = 0; i < 3; i += 1)
      for (const c of rotated(CLIENTS, i)) {
        const s = await startStore(bundles[c], tlsEnv('bench-clients'));
        await new Promise((r) => setTimeout(r, 1000));
        startUp[c].ready.push(s.readyMs);
        startUp[c].rss.push(rssMiB(s.pid));
        await s.stop();
      }
    // Each client alone: CPU per GetItem in a process of its own, three rounds.
    const alone: Record<Client, number[]> = { thin: [], sdk: [], 'sdk-tuned': [], 'aws-lite': [] };
    for (let i = 0; i < 3; i += 1)
      for (const c of rotated(CLIENTS, i)) alone[c].push(await callCost(c, hop.endpoint, hop.caFile));
    const targets = {} as Record<Scenario, ItemTarget>;
    targets.memory = {
      port: mem.api.ports.port,
      id: mem.id,
      pids: { api: mem.api.pid, store: mem.store.pid },
    };
    const scenarios: Array<[Scenario, Client, Record<string, string>]> = [
      ...CLIENTS.map((c): [Scenario, Client, Record<string, string>] => [c, c, tlsEnv(`bench-${c}`)]),
      [
        'thin-plain',
        'thin',
        { DYNAMODB_ENDPOINT: dynamo.endpoint, DYNAMODB_CREATE_TABLE: 'true', TABLE_NAME: 'bench-thin-plain' },
      ],
    ];
    for (const [scenario, client, env] of scenarios) {
      const store = await startStore(bundles[client], env);
      stores.push(store);
      const api = await startShipped('api-service', { STORE_ADDRESS: `127.0.0.1:${store.port}` });
      apis.push(api);
      targets[scenario] = {
        port: api.ports.port,
        id: await createItem(api, 'bench'),
        pids: { api: api.pid, store: store.pid },
      };
    }
    const order: Scenario[] = ['memory', ...CLIENTS, 'thin-plain'];
    const results = Object.fromEntries(order.map((s) => [s, [] as Load[]])) as Record<Scenario, Load[]>;
    for (let round = 0; round < rounds; round += 1) {
      const turn = rotated(order, round);
      say(`bench: DynamoDB clients, round ${round + 1}/${rounds} (${turn.join(', ')}) ...`);
      for (const s of turn) results[s].push(await loadItem(targets[s], { seconds, connections }));
    }
    const med = (s: Scenario, pick: (l: Load) => number) => median(results[s].map(pick));
    const storeCpu = (s: Scenario) => med(s, (l) => l.cpuPerRequest.store ?? 0);
    const base = storeCpu('memory');
    const name = (s: Scenario) =>
      s === 'memory'
        ? 'in-memory store (reference)'
        : s === 'thin-plain'
          ? `${NAMES.thin}, plain HTTP`
          : `${NAMES[s]}, TLS`;
    const start = (s: Scenario) => {
      if (s === 'memory' || s === 'thin-plain') return '| – | – | – |';
      const f = startUp[s];
      return `| ${Math.round(median(alone[s]))} | ${Math.round(median(f.ready))} ms | ${Math.round(median(f.rss))} MiB |`;
    };
    const lines = [
      '| client | store CPU µs/req (median) | × in-memory | spread of store CPU | req/s | p99 ms | api CPU µs/req | the client alone: CPU µs/GetItem | ready (median of 3) | idle RSS | failures |',
      '|---|---|---|---|---|---|---|---|---|---|---|',
      ...order.map(
        (s) =>
          `| ${name(s)} | ${Math.round(storeCpu(s))} | ${(storeCpu(s) / base).toFixed(2)}× | ${Math.round(spread(results[s].map((l) => l.cpuPerRequest.store ?? 0)) * 100)}% | ${Math.round(med(s, (l) => l.rps))} | ${med(s, (l) => l.p99)} | ${Math.round(med(s, (l) => l.cpuPerRequest.api ?? 0))} ${start(s)} ${results[s].reduce((n, l) => n + l.failures, 0)} |`,
      ),
      '',
      `The client alone (\`client-calls.ts\`): one process per client doing 5,000 consistent GetItems of one item through the TLS hop, 32 at a time, after 2,500 to warm up; CPU per call, median of three rounds (${CLIENTS.map((c) => `${c} ${alone[c].map(Math.round).join(' / ')}`).join('; ')}).`,
      `Rounds (store CPU µs/req): ${order.map((s) => `${s} ${results[s].map((l) => Math.round(l.cpuPerRequest.store ?? 0)).join(' / ')}`).join('; ')}.`,
    ];
    return { lines, thinTlsFactor: storeCpu('thin') / base };
  } finally {
    for (const api of apis) await api.stop();
    for (const s of stores) await s.stop();
    await stopStacks([mem]);
    await hop.close();
  }
}
