import { mkdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { canaryImageTag, isPrNumber, MAX_PR_NUMBER } from 'canary-context';
import type { PlatformObject } from 'routing-model';
import { GUARDED_ENTRYPOINT, PUBLIC_ENTRYPOINT } from 'routing-model/traefik';
import {
  CatalogueError,
  canaryNamespace,
  canaryTrack,
  isolatedTable,
  loadCatalogue,
  type ServiceEntry,
  STABLE_NAMESPACE,
  STABLE_TRACK,
  serviceOf,
  startOrder,
} from 'service-catalogue';
import { type EmbeddedDynamo, startEmbeddedDynamo } from '../dynalite.ts';
import { type LocalIssuer, startIssuer, type TokenOptions } from '../issuer.ts';
import type { ServiceProcess } from '../process.ts';
import { localEnv } from '../services.ts';
import { serviceKey } from './backends.ts';
import { dropTable } from './data.ts';
import type { EdgeKind } from './edge.ts';
import { LabPrometheus, type ScrapeTarget } from './prometheus.ts';
import { type ExplainRequest, type Explanation, Routers } from './routers.ts';
import { removeState, writeState } from './state.ts';
import { type InstanceSpec, Supervisor } from './supervisor.ts';
import { removeWorktree, resolveRef, worktreeFor } from './worktree.ts';

/** Where the lab's routes come from: the manifests, rendered as Argo CD would. */
export interface RouteSource {
  /** Traefik and Gateway API objects of the environment's stable Applications, and its API host. */
  stable(root: string): Promise<{ objects: PlatformObject[]; host: string }>;
  /**
   * Route objects of PR `pr`'s Applications for these services, rendered as Argo CD does:
   * from the default branch (`root`, the lab's stable checkout), with the PR's head at
   * `headRoot`.
   */
  pullRequest(
    root: string,
    headRoot: string,
    pr: number,
    headSha: string,
    services: readonly string[],
  ): Promise<PlatformObject[]>;
}

export interface LabOptions {
  readonly repoRoot: string;
  readonly routes: RouteSource;
  /** Guarded entrypoint (`internal`): X-Canary honoured. */
  readonly port: number;
  /** Public entrypoint (`websecure`): X-Canary and baggage stripped. */
  readonly publicPort: number;
  readonly dataDir: string | undefined;
  readonly stableRef?: string;
  /** Also run a local Prometheus that scrapes every lab process and evaluates the manifests' rules. */
  readonly observability?: boolean;
  /** First delay before a crashed service is restarted (default 1000 ms, doubling per crash). */
  readonly restartBackoffMs?: number;
  /** Keep the token issuer's key here (`canary token` signs with it); default: a key of this run only. */
  readonly issuerKeyFile?: string;
  /**
   * Keep `<repoRoot>/.lab/state.json` (this process and its children) up to date, so the
   * next `lab up` can reap what a lab killed without cleaning up left behind. For the one
   * lab of a checkout (`canary lab up`), not for labs that tests start side by side.
   */
  readonly recordState?: boolean;
  /** Which edge serves the entrypoints: the lab's emulation of Traefik (default) or real Traefik. */
  readonly edge?: EdgeKind;
  readonly progress?: (line: string) => void;
  readonly onServiceLog?: (name: string, line: string) => void;
}

export interface AddOptions {
  readonly services: readonly string[];
  readonly ref?: string;
  readonly isolatedData?: boolean;
  /** Extra environment for this PR's services: CANARY_SETTINGS only. */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * What `lab add` may set for a canary (`--fault-delay-ms`, `--fault-error-ratio`). Nothing
 * else: authentication, wiring and identity come from the lab, so no caller of the control
 * endpoint can start a canary that serves without a token or talks to another store.
 */
export const CANARY_SETTINGS: readonly string[] = Object.freeze(['FAULT_DELAY_MS', 'FAULT_ERROR_RATIO']);

interface Canary {
  readonly pr: number;
  readonly services: readonly string[];
  readonly sha: string;
  readonly ref: string | undefined;
  /** Isolated tables by service (label canary:isolated-data). */
  readonly tables: Readonly<Record<string, string>>;
  readonly objects: readonly PlatformObject[];
  readonly worktree: string | undefined;
}

export interface LabStatus {
  readonly entrypoints: Record<string, string>;
  /** Mesh router address by the service it fronts. */
  readonly mesh: Record<string, string>;
  readonly dynamodb: string;
  readonly dataDir: string | null;
  readonly prometheus: string | null;
  readonly services: Array<{
    service: string;
    track: string;
    version: string;
    key: string;
    address: string | null;
    pid: number | null;
    up: boolean;
    restarts: number;
    lastExit: string | null;
    source: string;
  }>;
  readonly canaries: Array<{
    pr: number;
    services: readonly string[];
    sha: string;
    ref: string | null;
    tables: Record<string, string>;
  }>;
  readonly routes: { edge: string[]; mesh: string[] };
}

export class LabError extends Error {
  override name = 'LabError';
}

/**
 * State and control of the lab: which canaries run, in what order changes happen, and
 * the wiring of the parts that do the work: the Supervisor (processes), the Routers
 * (edge and mesh), worktrees (other refs), the embedded DynamoDB and, optionally, a
 * Prometheus. Every service, its wiring and its namespaces come from the catalogue.
 */
export class Lab {
  readonly #options: LabOptions;
  readonly #catalogue: readonly ServiceEntry[];
  readonly #canaries = new Map<number, Canary>();
  readonly #supervisor: Supervisor;
  readonly #routers: Routers;
  #stableObjects: PlatformObject[] = [];
  #host = '';
  #dynamo: EmbeddedDynamo | undefined;
  #issuer: LocalIssuer | undefined;
  #busy: Promise<unknown> = Promise.resolve();
  #stableRoot = '';
  #prometheus: LabPrometheus | undefined;
  #stopping = false;

  private constructor(options: LabOptions) {
    this.#options = options;
    this.#catalogue = loadCatalogue(options.repoRoot);
    this.#supervisor = new Supervisor({
      backoffMs: options.restartBackoffMs,
      say: (line) => this.#say(line),
      onLog: options.onServiceLog,
      onChange: () => {
        void this.#saveState();
        void this.#routers.backendsChanged().catch(() => undefined);
      },
    });
    this.#routers = new Routers(this.#catalogue, this.#supervisor.resolve, options.edge ?? 'emulated');
  }

  /** Starts the embedded store, the mesh, stable services and the edge; fails without leftovers. */
  static async start(options: LabOptions): Promise<Lab> {
    const lab = new Lab(options);
    try {
      await lab.#start();
      // The state file lists every process before anyone is told the lab is up.
      await lab.#stateWritten;
      return lab;
    } catch (err) {
      await lab.stop().catch(() => undefined);
      throw err;
    }
  }

  #say(line: string) {
    this.#options.progress?.(line);
  }

  #stateWritten: Promise<void> = Promise.resolve();

  /** Queues a write of the state file (in order: the last write has the latest pids). */
  #saveState(): Promise<void> {
    if (this.#options.recordState !== true || this.#stopping) return this.#stateWritten;
    this.#stateWritten = this.#stateWritten
      .then(() =>
        writeState(this.#options.repoRoot, {
          pid: process.pid,
          children: this.#supervisor
            .list()
            .flatMap((s) =>
              s.pid === null
                ? []
                : [{ pid: s.pid, name: `${s.spec.entry.name}@${s.spec.track}`, entry: s.spec.entry.entry }],
            ),
        }),
      )
      .catch(() => undefined);
    return this.#stateWritten;
  }

  async #start() {
    const o = this.#options;
    this.#stableRoot = o.repoRoot;
    let stableVersion = 'dev';
    if (o.stableRef !== undefined) {
      const tree = await worktreeFor(o.repoRoot, o.stableRef, (l) => this.#say(l));
      this.#stableRoot = tree.root;
      stableVersion = tree.sha.slice(0, 8);
    }
    this.#say('rendering the stable routes from the manifests ...');
    const stable = await o.routes.stable(this.#stableRoot);
    this.#stableObjects = stable.objects;
    this.#host = stable.host;
    this.#routers.validate(this.#stableObjects);

    if (o.dataDir !== undefined) await mkdir(o.dataDir, { recursive: true });
    // In a process of its own: its memory stays apart from the routers' (and bounded).
    this.#dynamo = await startEmbeddedDynamo({
      ...(o.dataDir === undefined ? {} : { path: o.dataDir }),
      ownProcess: true,
    });
    // The api authenticates every request, as in the cluster: tokens from the lab's issuer.
    this.#issuer = await startIssuer(o.issuerKeyFile === undefined ? {} : { keyFile: o.issuerKeyFile });
    await this.#routers.listenMesh(this.#stableObjects);
    const order = startOrder(this.#catalogue);
    this.#say(`starting stable ${order.map((e) => e.name).join(', ')} ...`);
    for (const entry of order) {
      await this.#supervisor.start(
        this.#spec(entry, STABLE_NAMESPACE, STABLE_TRACK, stableVersion, this.#stableRoot, undefined),
      );
    }
    await this.#routers.listenEdge(
      this.#stableObjects,
      { [GUARDED_ENTRYPOINT]: o.port, [PUBLIC_ENTRYPOINT]: o.publicPort },
      this.#host,
    );
    if (o.observability) {
      this.#say('starting Prometheus (scraping every lab process, rules from the manifests) ...');
      this.#prometheus = await LabPrometheus.start(
        join(o.repoRoot, '.lab', 'prometheus'),
        this.#stableObjects.filter((obj) => obj.kind === 'PrometheusRule'),
        this.#targets(),
      );
    }
  }

  #spec(
    entry: ServiceEntry,
    namespace: string,
    track: string,
    version: string,
    root: string,
    table: string | undefined,
    extraEnv: Readonly<Record<string, string>> = {},
  ): InstanceSpec {
    const dynamo = this.#dynamo;
    if (dynamo === undefined) throw new LabError('the embedded DynamoDB is not running');
    const issuer = this.#issuer;
    if (issuer === undefined) throw new LabError('the token issuer is not running');
    const env = {
      ...localEnv(entry, {
        dynamoEndpoint: dynamo.endpoint,
        downstreams: this.#routers.downstreamAddresses(entry),
        ...(table === undefined ? {} : { table }),
      }),
      DEPLOYMENT_TRACK: track,
      APP_VERSION: version,
      // As in the cluster: keep listening briefly after SIGTERM, so requests routed just
      // before the routes were removed still land.
      SHUTDOWN_DELAY_MS: '300',
      ...extraEnv,
      // Last, so nothing above can weaken it: every service checks the lab's tokens.
      ...issuer.env,
    };
    return { entry, namespace, track, version, root, env };
  }

  #targets(): ScrapeTarget[] {
    return this.#supervisor.list().flatMap((s) =>
      s.address === null
        ? []
        : [
            {
              address: `127.0.0.1:${this.#supervisor.process(s.key)?.ports.metrics_port ?? 0}`,
              service: s.spec.entry.name,
              namespace: s.spec.namespace,
              track: s.spec.track,
            },
          ],
    );
  }

  async #updateTargets() {
    await this.#prometheus?.setTargets(this.#targets());
  }

  /** The catalogue entry of a service name, as a LabError naming the known ones. */
  #entry(name: string): ServiceEntry {
    try {
      return serviceOf(this.#catalogue, name);
    } catch (err) {
      if (err instanceof CatalogueError) throw new LabError(err.message);
      throw err;
    }
  }

  /** The Service key (`name.namespace`) of a service's stable instance, or of PR `pr`'s canary. */
  keyOf(service: string, pr?: number): string {
    const entry = this.#entry(service);
    return serviceKey({
      name: entry.name,
      namespace: pr === undefined ? STABLE_NAMESPACE : canaryNamespace(entry, pr),
    });
  }

  /**
   * Rolling restart of one Service (stable, or PR `pr`'s canary): a new instance takes the
   * traffic once ready, then the old one drains. Also brings back a crashed one at once.
   */
  restart(service: string, pr?: number): Promise<void> {
    return this.#serial(async () => {
      const key = this.keyOf(service, pr);
      if (!this.#supervisor.has(key))
        throw new LabError(
          pr === undefined ? `no stable ${service} in the lab` : `PR ${pr} runs no ${service}`,
        );
      this.#say(`restarting ${key} ...`);
      await this.#supervisor.restart(key);
      await this.#updateTargets();
    });
  }

  /** Runs lab changes one at a time (the control endpoint may get concurrent calls). */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#busy.then(fn, fn);
    this.#busy = next.catch(() => undefined);
    return next;
  }

  #objects(canaries: Iterable<Canary>): PlatformObject[] {
    return [...this.#stableObjects, ...[...canaries].flatMap((c) => c.objects)];
  }

  /** Starts PR `pr`'s services (from the working tree or a git ref), then loads its rendered routes. */
  add(pr: number, options: AddOptions): Promise<Canary> {
    return this.#serial(async () => {
      if (!Number.isInteger(pr) || !isPrNumber(String(pr)))
        throw new LabError(`PR must be a number from 1 to ${MAX_PR_NUMBER}, got ${pr}`);
      if (this.#canaries.has(pr))
        throw new LabError(`PR ${pr} is already running; remove it first (canary lab rm ${pr})`);
      const refused = Object.keys(options.env ?? {}).filter((name) => !CANARY_SETTINGS.includes(name));
      if (refused.length > 0)
        throw new LabError(
          `env: only ${CANARY_SETTINGS.join(', ')} may be set for a canary, not ${refused.join(', ')}`,
        );
      const services = [...new Set(options.services)];
      if (services.length === 0) throw new LabError('no services given');
      const entries = services.map((s) => this.#entry(s));
      let root = this.#options.repoRoot;
      let sha: string;
      let worktree: string | undefined;
      if (options.ref !== undefined) {
        const tree = await worktreeFor(this.#options.repoRoot, options.ref, (l) => this.#say(l));
        root = tree.root;
        sha = tree.sha;
        worktree = tree.root;
      } else {
        sha = await resolveRef(this.#options.repoRoot, 'HEAD');
      }
      this.#say(`rendering PR ${pr}'s routes (${services.join(', ')}; head ${sha.slice(0, 8)}) ...`);
      const objects = await this.#options.routes.pullRequest(this.#stableRoot, root, pr, sha, services);
      const tables: Record<string, string> = {};
      if (options.isolatedData) {
        for (const entry of entries)
          if (entry.data !== null) tables[entry.name] = isolatedTable(entry.data.table, pr);
      }
      const canary: Canary = { pr, services, sha, ref: options.ref, tables, objects, worktree };
      // Validate the routes before starting anything.
      this.#routers.validate(this.#objects([...this.#canaries.values(), canary]));
      const started: string[] = [];
      try {
        // Callees before callers, as for stable.
        for (const entry of startOrder(this.#catalogue).filter((e) => services.includes(e.name))) {
          const namespace = canaryNamespace(entry, pr);
          this.#say(`starting ${entry.name} for PR ${pr} in ${namespace} ...`);
          await this.#supervisor.start(
            this.#spec(
              entry,
              namespace,
              canaryTrack(pr),
              canaryImageTag(pr, sha),
              root,
              tables[entry.name],
              options.env,
            ),
          );
          started.push(serviceKey({ name: entry.name, namespace }));
        }
      } catch (err) {
        for (const key of started) await this.#supervisor.stop(key);
        throw err;
      }
      // Routes only once the workload is ready, as the sync waves do in the cluster.
      this.#canaries.set(pr, canary);
      await this.#routers.setObjects(this.#objects(this.#canaries.values()));
      await this.#updateTargets();
      await this.#stateWritten;
      this.#say(`PR ${pr}: ${objects.length} route objects loaded`);
      return canary;
    });
  }

  /** Removes PR `pr`: routes first (traffic returns to stable), then its processes and data. */
  remove(pr: number): Promise<void> {
    return this.#serial(async () => {
      const canary = this.#canaries.get(pr);
      if (canary === undefined) throw new LabError(`PR ${pr} is not running`);
      this.#canaries.delete(pr);
      await this.#routers.setObjects(this.#objects(this.#canaries.values()));
      for (const service of canary.services) await this.#supervisor.stop(this.keyOf(service, pr));
      await this.#updateTargets();
      const dynamo = this.#dynamo;
      if (dynamo !== undefined)
        for (const table of Object.values(canary.tables)) await dropTable(dynamo, table);
      if (
        canary.worktree !== undefined &&
        ![...this.#canaries.values()].some((c) => c.worktree === canary.worktree)
      ) {
        await removeWorktree(this.#options.repoRoot, canary.worktree);
      }
      this.#say(`PR ${pr} removed`);
    });
  }

  /** The process behind a Service (stable, or PR `pr`'s canary); tests use it to kill one. */
  backend(service: string, pr?: number): ServiceProcess | undefined {
    return this.#supervisor.process(this.keyOf(service, pr));
  }

  /** Mesh router address by the service it fronts. */
  get meshPorts(): Record<string, number> {
    return this.#routers.meshPorts;
  }

  /** The embedded DynamoDB (its process and memory: the benchmark reads them). */
  get dynamo(): EmbeddedDynamo | undefined {
    return this.#dynamo;
  }

  get ports(): { internal: number; websecure: number; dynamodb: number } {
    const edge = this.#routers.edgePorts;
    return {
      internal: edge[GUARDED_ENTRYPOINT] ?? 0,
      websecure: edge[PUBLIC_ENTRYPOINT] ?? 0,
      dynamodb: this.#dynamo?.port ?? 0,
    };
  }

  get host() {
    return this.#host;
  }

  /** Names of the catalogue's services (what `lab add` deploys when given none). */
  get serviceNames(): string[] {
    return this.#catalogue.map((e) => e.name);
  }

  /** PR numbers of the canaries running now. */
  get canaries(): number[] {
    return [...this.#canaries.keys()];
  }

  status(): LabStatus {
    return {
      entrypoints: Object.fromEntries(
        Object.entries(this.#routers.edgePorts).map(([name, port]) => [
          name,
          `http://localhost:${port}${name === GUARDED_ENTRYPOINT ? ' (guarded: X-Canary honoured)' : ' (public: X-Canary stripped)'}`,
        ]),
      ),
      mesh: Object.fromEntries(
        Object.entries(this.#routers.meshPorts).map(([name, port]) => [name, `127.0.0.1:${port}`]),
      ),
      dynamodb: this.#dynamo?.endpoint ?? '',
      dataDir: this.#options.dataDir ?? null,
      prometheus: this.#prometheus?.url ?? null,
      services: this.#supervisor.list().map((s) => ({
        service: s.spec.entry.name,
        track: s.spec.track,
        version: s.spec.version,
        key: s.key,
        address: s.address,
        pid: s.pid,
        up: s.up,
        restarts: s.restarts,
        lastExit: s.lastExit,
        source: s.spec.root === this.#options.repoRoot ? 'working tree' : s.spec.root,
      })),
      canaries: [...this.#canaries.values()].map((c) => ({
        pr: c.pr,
        services: c.services,
        sha: c.sha,
        ref: c.ref ?? null,
        tables: { ...c.tables },
      })),
      routes: this.#routers.routeLines(),
    };
  }

  /** Which edge route and which mesh rule at every hop a request would take, and why. */
  explain(request: ExplainRequest): Explanation {
    return this.#routers.explain(request);
  }

  /** A token for a tenant from the lab's issuer (what `canary token` prints). */
  token(tenant: string, options?: TokenOptions): Promise<string> {
    if (this.#issuer === undefined) throw new LabError('the lab is not running');
    return this.#issuer.token(tenant, options);
  }

  get prometheusUrl(): string | undefined {
    return this.#prometheus?.url;
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#prometheus?.stop().catch(() => undefined);
    await this.#routers.closeEdge();
    await this.#supervisor.stopAll();
    // The worktrees of --ref and --stable-ref: checked out again by the next lab that asks.
    const worktrees = new Set([...this.#canaries.values()].flatMap((c) => c.worktree ?? []));
    if (this.#stableRoot !== '' && this.#stableRoot !== this.#options.repoRoot)
      worktrees.add(this.#stableRoot);
    for (const root of worktrees) {
      this.#say(`removing the worktree ${relative(this.#options.repoRoot, root)} ...`);
      await removeWorktree(this.#options.repoRoot, root);
    }
    await this.#routers.closeMesh();
    await this.#dynamo?.close().catch(() => undefined);
    await this.#issuer?.close().catch(() => undefined);
    if (this.#options.recordState === true) await removeState(this.#options.repoRoot).catch(() => undefined);
  }
}
