import { type ServiceEntry, STABLE_TRACK } from 'service-catalogue';
import { type ServiceProcess, startService } from '../process.ts';
import { type BackendResolver, type Resolution, serviceKey } from './backends.ts';
import { type CanaryRun, canaryRun } from './node-flags.ts';

/** What runs one Service of the lab: which catalogue service, where, and how it is wired. */
export interface InstanceSpec {
  readonly entry: ServiceEntry;
  readonly namespace: string;
  readonly track: string;
  readonly version: string;
  /** Checkout it runs from. */
  readonly root: string;
  /** Its complete environment. */
  readonly env: Readonly<Record<string, string>>;
}

export interface InstanceStatus {
  readonly key: string;
  readonly spec: InstanceSpec;
  readonly pid: number | null;
  readonly address: string | null;
  readonly up: boolean;
  readonly restarts: number;
  /** How the last instance ended, e.g. `SIGKILL` or `code 1`; null when none has. */
  readonly lastExit: string | null;
  /** What its current process runs: the sources, or (a PR canary) the bundle, and why. */
  readonly run: CanaryRun | null;
}

export interface SupervisorOptions {
  /** First restart delay; doubles per consecutive crash up to 16 times this. Default 1000 ms. */
  readonly backoffMs?: number;
  readonly say: (line: string) => void;
  readonly onLog?: (name: string, line: string) => void;
  /** Called whenever the set of running processes changes (pids for the state file). */
  readonly onChange?: () => void;
}

interface Instance {
  readonly spec: InstanceSpec;
  process: ServiceProcess | undefined;
  restarts: number;
  /** Consecutive crashes without a healthy minute between them (sets the backoff). */
  streak: number;
  lastExit: string | null;
  timer: NodeJS.Timeout | undefined;
  removed: boolean;
  run: CanaryRun | null;
}

const describeExit = (p: ServiceProcess) =>
  p.child.signalCode ?? (p.child.exitCode === null ? 'unknown' : `code ${p.child.exitCode}`);
const running = (p: ServiceProcess | undefined): p is ServiceProcess =>
  p !== undefined && p.child.exitCode === null && p.child.signalCode === null;

/**
 * The lab's kubelet: starts each Service's process, and restarts one that exits on its
 * own with exponential backoff (1 s, 2 s, 4 s … 16 s; the streak resets after a minute
 * up), saying so. While a process is down its routes stay and callers get "not serving",
 * as with a crash-looping pod behind a Service.
 */
export class Supervisor {
  readonly #options: SupervisorOptions;
  readonly #instances = new Map<string, Instance>();

  constructor(options: SupervisorOptions) {
    this.#options = options;
  }

  /** Starts a Service's process and waits until it is ready. */
  async start(spec: InstanceSpec): Promise<void> {
    const key = serviceKey({ name: spec.entry.name, namespace: spec.namespace });
    if (this.#instances.has(key)) throw new Error(`${key} is already running`);
    const instance: Instance = {
      spec,
      process: undefined,
      restarts: 0,
      streak: 0,
      lastExit: null,
      timer: undefined,
      removed: false,
      run: null,
    };
    instance.process = await this.#spawn(instance);
    this.#instances.set(key, instance);
    this.#watch(instance, instance.process);
    this.#options.onChange?.();
  }

  #name = (spec: InstanceSpec) => `${spec.entry.name}@${spec.track}`;

  /**
   * Stable runs from the sources; a PR canary runs what ships, its bundle with the canary
   * profile's heap flags, when it is built and current (canaryRun), else the sources.
   */
  #spawn(instance: Instance): Promise<ServiceProcess> {
    const { spec } = instance;
    const name = this.#name(spec);
    const run = spec.track === STABLE_TRACK ? null : canaryRun(spec.root, spec.entry.workspace);
    instance.run = run;
    return startService(spec.entry.name, {
      name,
      env: { ...spec.env, ...(run?.nodeOptions === undefined ? {} : { NODE_OPTIONS: run.nodeOptions }) },
      root: spec.root,
      build: run?.build ?? 'sources',
      onLog: (line) => this.#options.onLog?.(name, line),
    });
  }

  #watch(instance: Instance, process: ServiceProcess) {
    const started = Date.now();
    void process.exited.then(() => {
      if (instance.removed || instance.process !== process) return;
      instance.lastExit = describeExit(process);
      instance.streak = Date.now() - started > 60_000 ? 1 : instance.streak + 1;
      this.#schedule(instance);
      this.#options.onChange?.();
    });
  }

  #schedule(instance: Instance) {
    const base = this.#options.backoffMs ?? 1000;
    const delay = base * 2 ** Math.min(instance.streak - 1, 4);
    const { spec } = instance;
    this.#options.say(
      `${spec.entry.name} ${spec.track} (${spec.namespace}) exited (${instance.lastExit}), restarting in ${delay >= 1000 ? `${delay / 1000}s` : `${delay}ms`}`,
    );
    instance.timer = setTimeout(() => {
      instance.timer = undefined;
      void this.#revive(instance);
    }, delay);
  }

  async #revive(instance: Instance) {
    if (instance.removed) return;
    try {
      const process = await this.#spawn(instance);
      if (instance.removed) {
        await process.stop();
        return;
      }
      instance.process = process;
      instance.restarts += 1;
      this.#watch(instance, process);
      this.#options.say(`${this.#name(instance.spec)} (${instance.spec.namespace}) is serving again`);
      this.#options.onChange?.();
    } catch (err) {
      instance.lastExit = `failed to start: ${(err as Error).message.split('\n')[0]}`;
      instance.streak += 1;
      this.#schedule(instance);
    }
  }

  /**
   * Rolling restart: a new process starts and takes the traffic as soon as it is ready
   * (the routers resolve on every request), then the old one gets SIGTERM and drains, as a
   * Deployment rollout does. Brings a crashed one back at once (no backoff wait).
   */
  async restart(key: string): Promise<void> {
    const instance = this.#instances.get(key);
    if (instance === undefined) throw new Error(`no ${key} in the lab`);
    clearTimeout(instance.timer);
    instance.timer = undefined;
    const old = instance.process;
    const next = await this.#spawn(instance);
    instance.process = next;
    instance.restarts += 1;
    this.#watch(instance, next);
    this.#options.onChange?.();
    if (old !== undefined) await old.stop();
  }

  /** Stops a Service's process (drained) and forgets it. */
  async stop(key: string): Promise<void> {
    const instance = this.#instances.get(key);
    if (instance === undefined) return;
    instance.removed = true;
    clearTimeout(instance.timer);
    await instance.process?.stop();
    this.#instances.delete(key);
    this.#options.onChange?.();
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#instances.keys()].map((key) => this.stop(key)));
  }

  has(key: string): boolean {
    return this.#instances.has(key);
  }

  /** The current process of a Service (tests use it to kill one). */
  process(key: string): ServiceProcess | undefined {
    return this.#instances.get(key)?.process;
  }

  readonly resolve: BackendResolver = (ref): Resolution => {
    const instance = this.#instances.get(serviceKey(ref));
    if (instance === undefined) return { kind: 'down', reason: 'no such Service in the lab' };
    const process = instance.process;
    if (!running(process)) {
      const exit = process === undefined ? 'not started' : describeExit(process);
      return {
        kind: 'down',
        reason: `its process exited (${exit})${instance.timer === undefined ? '' : '; the lab is restarting it'}`,
      };
    }
    return { kind: 'up', address: `127.0.0.1:${process.ports.port}` };
  };

  list(): InstanceStatus[] {
    return [...this.#instances.entries()].map(([key, i]) => ({
      key,
      spec: i.spec,
      pid: i.process?.pid ?? null,
      address: i.process === undefined ? null : `127.0.0.1:${i.process.ports.port}`,
      up: running(i.process),
      restarts: i.restarts,
      lastExit: i.lastExit,
      run: i.run,
    }));
  }

  /** Pids of every running process (the lab's state file lists them for reaping). */
  pids(): number[] {
    return [...this.#instances.values()].flatMap((i) => (running(i.process) ? [i.process.pid] : []));
  }
}
