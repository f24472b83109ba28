import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { loadCatalogue, serviceOf } from 'service-catalogue';
import { PARENT_WATCH, repoRoot, TELEMETRY_REGISTER } from './paths.ts';

export interface ServiceProcess {
  readonly name: string;
  readonly pid: number;
  /** Ports from the service's ready line (`port`, `metrics_port`). */
  readonly ports: Readonly<Record<string, number>>;
  /** Log lines seen so far (JSON strings as printed by the service). */
  readonly logs: readonly string[];
  readonly child: ChildProcess;
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>;
  /** Resolves with the first log line (parsed JSON) after `from` that matches; rejects after timeoutMs. */
  waitForLog(
    match: (line: Record<string, unknown>) => boolean,
    options?: { from?: number; timeoutMs?: number },
  ): Promise<Record<string, unknown>>;
  /** Sends SIGTERM (or the given signal) and waits for exit. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

export interface StartOptions {
  readonly name?: string;
  readonly env: Record<string, string>;
  /** Checkout to run from (a git worktree for another ref); default this repository. */
  readonly root?: string;
  readonly readyTimeoutMs?: number;
  /** Called with every log line (stdout and stderr). */
  readonly onLog?: (line: string) => void;
  /** Load OpenTelemetry before the app (default true; the benchmark compares without). */
  readonly telemetry?: boolean;
  /**
   * What to run: the TypeScript sources (default, as the lab and tests do) or the bundle
   * the images ship (`<workspace>/dist/`, built by scripts/build-services.ts).
   */
  readonly build?: 'sources' | 'bundle';
}

/**
 * Spawns a catalogue service (its `entry`, from the catalogue of the checkout it runs
 * from) with the current node and waits for its `"event":"ready"` log line. Fails with
 * the service's own output when it exits or stays silent past the timeout. The child
 * stops itself when this process dies (parent-watch.js), however that happens.
 */
export async function startService(service: string, options: StartOptions): Promise<ServiceProcess> {
  const root = options.root ?? repoRoot;
  const spec = serviceOf(loadCatalogue(root), service);
  const bundle = options.build === 'bundle';
  const entry = bundle ? `${spec.workspace}/dist/main.js` : spec.entry;
  const register = bundle ? `${spec.workspace}/dist/register.js` : TELEMETRY_REGISTER;
  const preload = [
    '--import',
    PARENT_WATCH,
    ...(options.telemetry === false ? [] : ['--import', `./${register}`]),
  ];
  const child = spawn(process.execPath, [...preload, entry], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
    // stdin: a pipe this process holds open for the child's lifetime (see parent-watch.js).
    stdio: ['pipe', 'pipe', 'pipe'],
    // Own process group: a terminal's Ctrl-C reaches the supervisor only, which then
    // stops its services in order (instead of every process draining at once).
    detached: true,
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const logs: string[] = [];
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      process.removeListener('exit', killOnExit);
      resolve(code);
    }),
  );
  const name = options.name ?? service;

  return new Promise<ServiceProcess>((resolve, reject) => {
    let ready = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `${name} not ready after ${options.readyTimeoutMs ?? 15_000} ms:\n${logs.slice(-20).join('\n')}`,
        ),
      );
    }, options.readyTimeoutMs ?? 15_000);

    const onLine = (line: string) => {
      logs.push(line);
      if (logs.length > 5000) logs.splice(0, 1000);
      options.onLog?.(line);
      if (ready || !line.includes('"event":"ready"')) return;
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      ready = true;
      clearTimeout(timer);
      const ports = Object.fromEntries(
        Object.entries(parsed).filter(([k, v]) => k.endsWith('port') && typeof v === 'number'),
      ) as Record<string, number>;
      resolve({
        name,
        pid: child.pid ?? -1,
        ports,
        logs,
        child,
        exited,
        waitForLog: (match, { from = 0, timeoutMs = 5000 } = {}) => waitForLog(logs, match, from, timeoutMs),
        stop: (signal = 'SIGTERM', timeoutMs = 20_000) => {
          if (child.exitCode !== null || child.signalCode !== null) return exited;
          child.kill(signal);
          const kill = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
          return exited.finally(() => clearTimeout(kill));
        },
      });
    };
    if (child.stdout) createInterface({ input: child.stdout }).on('line', onLine);
    if (child.stderr) createInterface({ input: child.stderr }).on('line', onLine);
    void exited.then((code) => {
      if (ready) return;
      clearTimeout(timer);
      reject(
        new Error(`${name} exited with code ${code} before it was ready:\n${logs.slice(-20).join('\n')}`),
      );
    });
  });
}

async function waitForLog(
  logs: readonly string[],
  match: (line: Record<string, unknown>) => boolean,
  from: number,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  let next = from;
  for (;;) {
    for (; next < logs.length; next += 1) {
      try {
        const parsed = JSON.parse(logs[next] ?? '') as Record<string, unknown>;
        if (match(parsed)) return parsed;
      } catch {
        // not a JSON line
      }
    }
    if (Date.now() > deadline) throw new Error(`no matching log line within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
