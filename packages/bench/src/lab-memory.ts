// The lab's memory: the lab process (embedded DynamoDB on disk, routers, supervisor) under
// sustained list traffic in counted rounds, and what one PR canary adds. The lab runs in a
// process of its own (lab-holder.ts), as `canary lab up` runs it.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { signToken } from 'local-runtime/issuer';
import { LAB_NODE_FLAGS, labProcessEnv } from 'local-runtime/lab';
import { repoRoot } from 'local-runtime/paths';
import { median, pssMiB, requests, rssMiB } from './load.ts';

const say = (line: string) => process.stdout.write(`${line}\n`);
const MiB = 2 ** 20;
const TENANT = 'labmem';
const ITEMS = 2000;
const CANARY_REQUESTS = 2000;
const CANARY_SERVICES = ['api-service', 'store-service'];
/** The first PR number the bench adds; the others follow it. */
const FIRST_PR = 101;
/** Open PR canaries at which the lab's cost is reported. */
const OPEN_CANARIES = [1, 5, 10];
/** Sequential list requests timed through the lab at each count. */
const LATENCY_REQUESTS = 200;
const CATEGORIES = ['books', 'electronics', 'clothing', 'home', 'toys', 'food', 'other'];

export interface LabMemoryFigures {
  readonly lines: string[];
  /** RSS growth per 10k list requests over the last half of the rounds, MiB: the embedded DynamoDB's process and the lab's. */
  readonly growthPer10k: { readonly dynamo: number; readonly lab: number };
  /** RSS of the first PR canary's processes (api + store) once ready, MiB. */
  readonly canaryMiB: number;
  /** Their PSS (shared pages in proportion), MiB. */
  readonly canaryPssMiB: number;
  /** Their RSS after 2,000 list requests through the canary, MiB. */
  readonly canaryLoadedMiB: number;
  /** The lab with N two-service PR canaries open. */
  readonly open: Array<{
    canaries: number;
    rssMiB: number;
    pssMiB: number;
    addMs: number;
    p50Canary: number;
    p50Stable: number;
  }>;
}

interface Holder {
  readonly pid: number;
  /** Port of the guarded entrypoint (X-Canary honoured). */
  readonly internal: number;
  /** Sends a command; resolves with the next reply of that event. */
  ask(command: string, event: string): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

async function startHolder(env: Record<string, string>): Promise<Holder> {
  const child: ChildProcess = spawn(
    process.execPath,
    // The node flags and environment `canary lab up` runs the lab with (it re-executes itself with them).
    ['--expose-gc', ...LAB_NODE_FLAGS, join(import.meta.dirname, 'lab-holder.ts')],
    {
      cwd: repoRoot,
      env: { ...(labProcessEnv(process.env) ?? process.env), ...env },
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const waiting: Array<{ event: string; resolve: (r: Record<string, unknown>) => void }> = [];
  let failed: ((err: Error) => void) | undefined;
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  lines.on('line', (line) => {
    const reply = JSON.parse(line) as Record<string, unknown>;
    const i = waiting.findIndex((w) => w.event === reply.event);
    if (i >= 0) waiting.splice(i, 1)[0]?.resolve(reply);
  });
  void exited.then((code) => failed?.(new Error(`lab-holder exited (${code})`)));
  const next = (event: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      failed = reject;
      waiting.push({ event, resolve });
    });
  const ready = await Promise.race([
    next('ready'),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('lab-holder: not ready')), 120_000)),
  ]);
  return {
    pid: Number(ready.pid),
    internal: Number(ready.internal),
    ask(command, event) {
      const reply = next(event);
      child.stdin?.write(`${command}\n`);
      return reply;
    },
    async stop() {
      failed = undefined;
      child.stdin?.end('stop\n');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Least-squares slope of y over x. */
function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i += 1) {
    num += ((xs[i] ?? 0) - mx) * ((ys[i] ?? 0) - my);
    den += ((xs[i] ?? 0) - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mib = (bytes: unknown) => Math.round(Number(bytes) / MiB);
const signed = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(1)}`;

export async function labMemory(
  rounds: number,
  perRound: number,
  connections: number,
): Promise<LabMemoryFigures> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-lab-'));
  const keyFile = join(dir, 'issuer-key.json');
  say('bench: lab memory: starting a lab (data on disk) ...');
  const holder = await startHolder({ BENCH_LAB_DATA: join(dir, 'data'), BENCH_LAB_KEY: keyFile });
  try {
    const jwk = JSON.parse(await readFile(keyFile, 'utf8')) as Parameters<typeof signToken>[0];
    const headers = { authorization: `Bearer ${await signToken(jwk, TENANT)}`, 'x-tenant-id': TENANT };
    const base = `http://localhost:${holder.internal}`;
    say(`bench: lab memory: creating ${ITEMS} items in one tenant through the lab ...`);
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < ITEMS) {
          const i = next++;
          const r = await fetch(`${base}/v1/items`, {
            method: 'POST',
            headers: { ...headers, 'content-type': 'application/json' },
            body: JSON.stringify({
              name: i % 10 === 3 ? `Needle ${i}` : `Hay ${i}`,
              price_cents: 100 + i,
              category: CATEGORIES[i % CATEGORIES.length],
              inventory_count: i % 5,
            }),
          });
          if (r.status !== 201) throw new Error(`lab memory: create failed: ${r.status} ${await r.text()}`);
        }
      }),
    );
    const first = await fetch(`${base}/v1/items?page_size=20`, { headers });
    const token = ((await first.json()) as { next_page_token?: string }).next_page_token ?? '';
    if (first.status !== 200 || token === '') throw new Error(`lab memory: list failed: ${first.status}`);
    // The lists a UI sends: a first page, a later page, a category (an index), a search (a filter).
    const lists = [
      '/v1/items?page_size=20',
      `/v1/items?page_size=20&page_token=${encodeURIComponent(token)}`,
      '/v1/items?category=books&page_size=20',
      '/v1/items?search=needle&page_size=20',
    ];
    const mem = async () => {
      await sleep(500);
      const m = await holder.ask('mem', 'mem');
      const lab = m.lab as Record<string, number>;
      const db = (m.dynamo ?? {}) as Record<string, number>;
      return {
        lab: mib(lab.rss),
        labHeap: mib(lab.heapUsed),
        labHeapTotal: mib(lab.heapTotal),
        rss: mib(db.rss),
        heap: mib(db.heapUsed),
        heapTotal: mib(db.heapTotal),
        open: Number(db.openIterators),
        opened: Number(db.openedIterators),
      };
    };
    const start = await mem();
    const after: Array<Awaited<ReturnType<typeof mem>>> = [];
    let failures = 0;
    let served = 0;
    const started = performance.now();
    for (let round = 0; round < rounds; round += 1) {
      for (const path of lists) {
        const r = await requests(`${base}${path}`, {
          headers,
          amount: Math.round(perRound / lists.length),
          connections,
          maxSeconds: 120,
        });
        failures += r.failures;
        served += r.requests;
      }
      after.push(await mem());
      const m = after.at(-1);
      say(
        `bench: lab memory: round ${round + 1}/${rounds}: DynamoDB process RSS ${m?.rss} MiB (heap ${m?.heap} MiB, open iterators ${m?.open}), lab process RSS ${m?.lab} MiB`,
      );
    }
    const seconds = (performance.now() - started) / 1000;
    const per10k = perRound / 10_000;
    const half = Math.max(2, Math.ceil(rounds / 2));
    const x = after.map((_, i) => (i + 1) * per10k);
    const total = (m: (typeof after)[number]) => m.rss + m.lab;
    // Growth per 10k requests: least-squares slope over the first and the last half.
    const growth = (pick: (m: (typeof after)[number]) => number) => ({
      first: slope([0, ...x.slice(0, half)], [pick(start), ...after.slice(0, half).map(pick)]),
      last: slope(x.slice(-half), after.slice(-half).map(pick)),
    });
    const db = growth((m) => m.rss);
    const lab = growth((m) => m.lab);
    const both = growth(total);
    const row = (name: string, pick: (m: (typeof after)[number]) => number) =>
      `| ${name} | ${pick(start)} | ${after.map(pick).join(' | ')} |`;
    const lines = [
      `| MiB | after seeding | ${after.map((_, i) => `after ${((i + 1) * perRound) / 1000}k`).join(' | ')} |`,
      `|---|---|${after.map(() => '---').join('|')}|`,
      row('embedded DynamoDB process: RSS', (m) => m.rss),
      row('… its JS heap used', (m) => m.heap),
      row('… its V8 heap committed', (m) => m.heapTotal),
      row('lab process (routers, supervisor): RSS', (m) => m.lab),
      row('… its JS heap used', (m) => m.labHeap),
      row('… its V8 heap committed', (m) => m.labHeapTotal),
      row('both', total),
      `| LevelDB iterators open | ${start.open} | ${after.map((m) => m.open).join(' | ')} |`,
      '',
      `${served} list requests in ${seconds.toFixed(0)} s (${Math.round(served / seconds)}/s), ${failures} failures; ${after.at(-1)?.opened ?? 0} LevelDB iterators opened in all.`,
      '',
      '| RSS growth per 10k list requests (least-squares slope) | first ' +
        `${half} rounds | last ${half} rounds |`,
      '|---|---|---|',
      `| embedded DynamoDB process | ${signed(db.first)} MiB | ${signed(db.last)} MiB |`,
      `| lab process | ${signed(lab.first)} MiB | ${signed(lab.last)} MiB |`,
      `| both | ${signed(both.first)} MiB | ${signed(both.last)} MiB |`,
    ];
    const growthPer10k = { dynamo: db.last, lab: lab.last };

    // What PR canaries cost: lab add of two-service PRs one after the other up to the most
    // open at once; the first also under traffic of its own; at each count, the canaries'
    // memory, the time lab add took and a request's time through the lab to the newest.
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const canaryRows = [
      '',
      '| PR canary (`lab add N`, api-service + store-service) | runs | api-service RSS / PSS | store-service RSS / PSS | canary RSS / PSS | after 2k list requests through it, RSS / PSS |',
      '|---|---|---|---|---|---|',
    ];
    const added: Array<{ pr: number; ms: number; pids: Record<string, number> }> = [];
    let canaryFailures = 0;
    let firstCanary = { rss: 0, pss: 0, loadedRss: 0, loadedPss: 0 };
    const openRows = [
      '',
      '| open PR canaries | their RSS (sum) | their PSS (sum) | lab + DynamoDB processes RSS | `lab add` (mean of the last ones, ms) | list request through the lab, p50: to the newest canary / to stable |',
      '|---|---|---|---|---|---|',
    ];
    const open: LabMemoryFigures['open'] = [];
    const latency = async (extra: Record<string, string>) => {
      const times: number[] = [];
      for (let i = 0; i < LATENCY_REQUESTS; i += 1) {
        const t0 = performance.now();
        const r = await fetch(`${base}/v1/items?page_size=20`, { headers: { ...headers, ...extra } });
        await r.arrayBuffer();
        times.push(performance.now() - t0);
      }
      return median(times);
    };
    for (let n = 1; n <= Math.max(...OPEN_CANARIES); n += 1) {
      const pr = FIRST_PR + n - 1;
      say(`bench: lab memory: lab add ${pr} ${CANARY_SERVICES.join(' ')} (${n} open) ...`);
      const reply = await holder.ask(`add ${pr} ${CANARY_SERVICES.join(',')}`, 'added');
      const pids = reply.pids as Record<string, number>;
      const builds = reply.builds as Record<string, string>;
      added.push({ pr, ms: Number(reply.ms), pids });
      if (n === 1) {
        await sleep(1000);
        const probe = await fetch(`${base}/v1/items?page_size=20`, {
          headers: { ...headers, 'x-canary': String(pr) },
        });
        const servedBy = probe.headers.get('x-served-by') ?? '';
        if (!servedBy.includes(`@pr-${pr}`))
          throw new Error(`lab memory: PR ${pr} not reached (X-Served-By: ${servedBy})`);
        const idleRss = CANARY_SERVICES.map((s) => rssMiB(pids[s] ?? 0));
        const idlePss = CANARY_SERVICES.map((s) => pssMiB(pids[s] ?? 0));
        const r = await requests(`${base}/v1/items?page_size=20`, {
          headers: { ...headers, 'x-canary': String(pr) },
          amount: CANARY_REQUESTS,
          connections,
          maxSeconds: 60,
        });
        canaryFailures += r.failures;
        const loadedRss = CANARY_SERVICES.map((s) => rssMiB(pids[s] ?? 0));
        const loadedPss = CANARY_SERVICES.map((s) => pssMiB(pids[s] ?? 0));
        firstCanary = {
          rss: sum(idleRss),
          pss: sum(idlePss),
          loadedRss: sum(loadedRss),
          loadedPss: sum(loadedPss),
        };
        canaryRows.push(
          `| PR ${pr} | ${CANARY_SERVICES.map((s) => builds[s]).join(', ')} | ${idleRss[0]} / ${idlePss[0]} MiB | ${idleRss[1]} / ${idlePss[1]} MiB | ${firstCanary.rss} / ${firstCanary.pss} MiB | ${firstCanary.loadedRss} / ${firstCanary.loadedPss} MiB (${loadedRss.join(' + ')} RSS) |`,
        );
        say(
          `bench: lab memory: PR ${pr}: ${firstCanary.rss} MiB RSS (${firstCanary.pss} PSS) once ready, ${firstCanary.loadedRss} MiB after its traffic`,
        );
      }
      if (!OPEN_CANARIES.includes(n)) continue;
      await sleep(1000);
      const all = added.flatMap((a) => Object.values(a.pids));
      const rss = sum(all.map(rssMiB));
      const pss = sum(all.map(pssMiB));
      const lab = await mem();
      const since = OPEN_CANARIES[OPEN_CANARIES.indexOf(n) - 1] ?? 0;
      const addMs = Math.round(sum(added.slice(since).map((a) => a.ms)) / (n - since));
      const toCanary = await latency({ 'x-canary': String(pr) });
      const toStable = await latency({});
      open.push({ canaries: n, rssMiB: rss, pssMiB: pss, addMs, p50Canary: toCanary, p50Stable: toStable });
      openRows.push(
        `| ${n} | ${rss} MiB | ${pss} MiB | ${lab.lab + lab.rss} MiB | ${addMs} ms | ${toCanary.toFixed(1)} ms / ${toStable.toFixed(1)} ms |`,
      );
      say(`bench: lab memory: ${n} open: ${rss} MiB RSS, ${pss} MiB PSS, lab add ${addMs} ms`);
    }
    canaryRows.push(
      '',
      `${canaryFailures} failures in the canary's traffic. RSS counts every page a process maps, the node binary and libraries shared with the other node processes too; PSS (\`/proc/<pid>/smaps_rollup\`) counts a shared page in proportion, what the canary adds to the machine. Request times: ${LATENCY_REQUESTS} sequential list requests (20 items) through the guarded entrypoint.`,
      ...openRows,
    );
    return {
      lines: [...lines, ...canaryRows],
      growthPer10k,
      canaryMiB: firstCanary.rss,
      canaryPssMiB: firstCanary.pss,
      canaryLoadedMiB: firstCanary.loadedRss,
      open,
    };
  } finally {
    await holder.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
