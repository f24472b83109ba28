// Load from a process of its own (autocannon's CLI), and the CPU each measured process
// spent meanwhile: the generator never shares an event loop with what it measures, and
// CPU per request is steadier on a shared machine than requests per second.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { median } from 'canary-cli/median';

export { median };

const run = promisify(execFile);
const AUTOCANNON = createRequire(import.meta.url).resolve('autocannon/autocannon.js');
/** Linux reports utime and stime in clock ticks of 1/100 s (CLK_TCK on every platform we run). */
const TICK_US = 10_000;

export interface Load {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly failures: number;
  readonly requests: number;
  /** CPU µs per request of each watched process, by the name it was given. */
  readonly cpuPerRequest: Readonly<Record<string, number>>;
}

/** user + system CPU time of a process so far, in µs. */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start at index 2 ("state").
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_US;
}

export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

/**
 * Proportional set size: the process's private memory plus its share of pages it shares
 * with others (the node binary, libraries), what it adds to the machine among processes of
 * the same binary.
 */
export function pssMiB(pid: number): number {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  return Math.round(Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0) / 1024);
}

interface AutocannonJson {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}

async function autocannon(
  url: string,
  headers: Record<string, string>,
  seconds: number,
  connections: number,
  amount?: number,
): Promise<AutocannonJson> {
  const args = [AUTOCANNON, '--json', '-c', String(connections), '-d', String(seconds)];
  if (amount !== undefined) args.push('-a', String(amount));
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}=${v}`);
  args.push(url);
  const { stdout } = await run(process.execPath, args, {
    maxBuffer: 16 * 2 ** 20,
    // A counted load still ends: killed some time after it should have.
    ...(amount === undefined ? {} : { timeout: (seconds + 10) * 1000 }),
  });
  return JSON.parse(stdout) as AutocannonJson;
}

/**
 * Exactly `amount` requests (no warm-up), at most `maxSeconds`: requests served, answers
 * other than 2xx, errors and timeouts.
 */
export async function requests(
  url: string,
  options: {
    readonly headers?: Record<string, string>;
    readonly amount: number;
    readonly connections: number;
    readonly maxSeconds: number;
  },
): Promise<{ readonly requests: number; readonly failures: number; readonly rps: number }> {
  const r = await autocannon(
    url,
    options.headers ?? {},
    options.maxSeconds,
    options.connections,
    options.amount,
  );
  return {
    requests: r.requests.total,
    failures: r.non2xx + r.errors + r.timeouts,
    rps: r.requests.average,
  };
}

export interface LoadOptions {
  readonly headers?: Record<string, string>;
  readonly seconds: number;
  readonly connections: number;
  /** Processes whose CPU per request is reported (name → pid). */
  readonly watch?: Readonly<Record<string, number>>;
  /** Warm-up before the measured run (JIT, connection pools); default 2 s. */
  readonly warmupSeconds?: number;
}

export async function load(url: string, options: LoadOptions): Promise<Load> {
  const headers = options.headers ?? {};
  const warmup = options.warmupSeconds ?? 2;
  if (warmup > 0) await autocannon(url, headers, warmup, options.connections);
  const watch = Object.entries(options.watch ?? {});
  const before = watch.map(([, pid]) => cpuMicros(pid));
  const r = await autocannon(url, headers, options.seconds, options.connections);
  const spent = watch.map(([, pid], i) => cpuMicros(pid) - (before[i] ?? 0));
  const requests = Math.max(1, r.requests.total);
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    failures: r.non2xx + r.errors + r.timeouts,
    requests: r.requests.total,
    cpuPerRequest: Object.fromEntries(watch.map(([name], i) => [name, (spent[i] ?? 0) / requests])),
  };
}

/** (max − min) / median of a list of figures: how far one round may be from another. */
export function spread(values: readonly number[]): number {
  return (Math.max(...values) - Math.min(...values)) / median(values);
}

/** The list started `round` places further on: each scenario takes each position in turn. */
export function rotated<T>(items: readonly T[], round: number): T[] {
  const shift = round % Math.max(1, items.length);
  return [...items.slice(shift), ...items.slice(0, shift)];
}
