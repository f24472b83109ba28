import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DeleteTableCommand, DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { type EmbeddedDynamo, startEmbeddedDynamo } from '../dynalite.ts';
import type { ServiceName } from '../paths.ts';
import { type ServiceProcess, startService } from '../process.ts';
import { LOCAL } from '../services.ts';
import { type Resolution, serviceKey } from './backends.ts';
import { EdgeRouter } from './edge-router.ts';
import {
  type BackendRef,
  buildEdgeTable,
  type EdgeRoute,
  type LabObject,
  selectEdgeRoute,
} from './edge-table.ts';
import { MeshRouter } from './mesh-router.ts';
import { buildMeshTable } from './mesh-table.ts';
import { LabPrometheus, type ScrapeTarget } from './prometheus.ts';
import { git, removeWorktree, resolveRef, worktreeFor } from './worktree.ts';

export const LAB_SERVICES = ['api-service', 'store-service'] as const;
export type LabService = (typeof LAB_SERVICES)[number];
const NAMESPACE_PREFIX: Record<LabService, string> = { 'api-service': 'api', 'store-service': 'store' };
const STABLE_STORE: BackendRef = { name: 'store-service', namespace: 'apps', port: 8080 };

/** Where the lab's routes come from: the manifests, rendered as Argo CD would. */
export interface RouteSource {
  /** Traefik and Gateway API objects of the environment's stable Applications, and its API host. */
  stable(root: string): Promise<{ objects: LabObject[]; host: string }>;
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
    services: readonly LabService[],
  ): Promise<LabObject[]>;
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
  readonly progress?: (line: string) => void;
  readonly onServiceLog?: (name: string, line: string) => void;
}

export interface AddOptions {
  readonly services: readonly LabService[];
  readonly ref?: string;
  readonly isolatedData?: boolean;
}

interface Backend {
  readonly service: LabService;
  readonly track: string;
  readonly version: string;
  readonly process: ServiceProcess;
  readonly source: string;
  /** What started it, so it can be started again (rolling restart). */
  readonly start: () => Promise<void>;
}

interface Canary {
  readonly pr: number;
  readonly services: readonly LabService[];
  readonly sha: string;
  readonly ref: string | undefined;
  readonly table: string | undefined;
  readonly objects: readonly LabObject[];
  readonly worktree: string | undefined;
}

export interface LabStatus {
  readonly entrypoints: Record<string, string>;
  readonly mesh: string;
  readonly dynamodb: string;
  readonly dataDir: string | null;
  readonly prometheus: string | null;
  readonly services: Array<{
    service: string;
    track: string;
    version: string;
    key: string;
    address: string;
    pid: number;
    up: boolean;
    source: string;
  }>;
  readonly canaries: Array<{
    pr: number;
    services: readonly string[];
    sha: string;
    ref: string | null;
    table: string | null;
  }>;
  readonly routes: { edge: string[]; mesh: string[] };
}

export class LabError extends Error {
  override name = 'LabError';
}

export class Lab {
  readonly #options: LabOptions;
  readonly #backends = new Map<string, Backend>();
  readonly #canaries = new Map<number, Canary>();
  #stableObjects: LabObject[] = [];
  #host = '';
  #dynamo!: EmbeddedDynamo;
  #mesh!: MeshRouter;
  #edge!: EdgeRouter;
  #busy: Promise<unknown> = Promise.resolve();
  #stableRoot = '';
  #prometheus: LabPrometheus | undefined;

  private constructor(options: LabOptions) {
    this.#options = options;
  }

  /** Starts the embedded store, stable services, the mesh and the edge; fails without leftovers. */
  static async start(options: LabOptions): Promise<Lab> {
    const lab = new Lab(options);
    try {
      await lab.#start();
      return lab;
    } catch (err) {
      await lab.stop().catch(() => undefined);
      throw err;
    }
  }

  #say(line: string) {
    this.#options.progress?.(line);
  }

  #resolve = (ref: BackendRef): Resolution => {
    const backend = this.#backends.get(serviceKey(ref));
    if (backend === undefined) return { kind: 'down', reason: 'no such Service in the lab' };
    const { child } = backend.process;
    if (child.exitCode !== null || child.signalCode !== null) {
      return { kind: 'down', reason: `its process exited (${child.signalCode ?? `code ${child.exitCode}`})` };
    }
    return { kind: 'up', address: `127.0.0.1:${backend.process.ports.port}` };
  };

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
    const edgeTable = buildEdgeTable(this.#stableObjects);
    const meshTable = buildMeshTable(this.#stableObjects);

    if (o.dataDir !== undefined) await mkdir(o.dataDir, { recursive: true });
    this.#dynamo = await startEmbeddedDynamo(o.dataDir === undefined ? {} : { path: o.dataDir });
    this.#mesh = new MeshRouter(STABLE_STORE, this.#resolve);
    this.#mesh.setTable(meshTable);
    await this.#mesh.listen();
    this.#say('starting stable store-service and api-service ...');
    await this.#startBackend('store-service', 'apps', 'stable', stableVersion, this.#stableRoot, {});
    await this.#startBackend('api-service', 'apps', 'stable', stableVersion, this.#stableRoot, {});
    this.#edge = new EdgeRouter({
      entryPoints: { internal: o.port, websecure: o.publicPort },
      host: this.#host,
      resolve: this.#resolve,
    });
    this.#edge.setTable(edgeTable);
    await this.#edge.listen();
    if (o.observability) {
      this.#say('starting Prometheus (scraping every lab process, rules from the manifests) ...');
      this.#prometheus = await LabPrometheus.start(
        join(o.repoRoot, '.lab', 'prometheus'),
        this.#stableObjects.filter((obj) => obj.kind === 'PrometheusRule'),
        this.#targets(),
      );
    }
  }

  #targets(): ScrapeTarget[] {
    return [...this.#backends.entries()].map(([key, b]) => ({
      address: `127.0.0.1:${b.process.ports.metrics_port}`,
      service: b.service,
      namespace: key.slice(b.service.length + 1),
      track: b.track,
    }));
  }

  async #updateTargets() {
    await this.#prometheus?.setTargets(this.#targets());
  }

  async #startBackend(
    service: LabService,
    namespace: string,
    track: string,
    version: string,
    root: string,
    extra: Record<string, string>,
  ): Promise<void> {
    const env: Record<string, string> = {
      ...LOCAL,
      DEPLOYMENT_TRACK: track,
      APP_VERSION: version,
      // As in the cluster: keep listening briefly after SIGTERM, so requests routed just
      // before the routes were removed still land.
      SHUTDOWN_DELAY_MS: '300',
      ...(service === 'store-service'
        ? {
            DYNAMODB_ENDPOINT: this.#dynamo.endpoint,
            DYNAMODB_CREATE_TABLE: 'true',
            TABLE_NAME: 'store-items',
          }
        : { STORE_ADDRESS: `127.0.0.1:${this.#mesh.port}` }),
      ...extra,
    };
    const name = `${service}@${track}`;
    const process = await startService(service as ServiceName, {
      name,
      env,
      root,
      onLog: (line) => this.#options.onServiceLog?.(name, line),
    });
    this.#backends.set(serviceKey({ name: service, namespace }), {
      service,
      track,
      version,
      process,
      source: root === this.#options.repoRoot ? 'working tree' : root,
      start: () => this.#startBackend(service, namespace, track, version, root, extra),
    });
  }

  /**
   * Rolling restart of one Service: a new instance starts and takes the traffic as soon as
   * it is ready (the routers resolve the Service on every request), then the old one gets
   * SIGTERM and drains, as a Deployment rollout does. Also brings back a killed instance.
   */
  restart(service: LabService, namespace: string): Promise<void> {
    return this.#serial(async () => {
      const key = serviceKey({ name: service, namespace });
      const old = this.#backends.get(key);
      if (old === undefined) throw new LabError(`no ${key} in the lab`);
      await old.start();
      await old.process.stop();
      await this.#updateTargets();
    });
  }

  /** Runs lab changes one at a time (the control endpoint may get concurrent calls). */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#busy.then(fn, fn);
    this.#busy = next.catch(() => undefined);
    return next;
  }

  #rebuild(canaries: Iterable<Canary>) {
    const objects = [...this.#stableObjects, ...[...canaries].flatMap((c) => c.objects)];
    // Both tables are built (and validated) before either is swapped in.
    const edge = buildEdgeTable(objects);
    const mesh = buildMeshTable(objects);
    this.#edge.setTable(edge);
    this.#mesh.setTable(mesh);
  }

  /** Starts PR `pr`'s services (from the working tree or a git ref), then loads its rendered routes. */
  add(pr: number, options: AddOptions): Promise<Canary> {
    return this.#serial(async () => {
      if (!Number.isInteger(pr) || pr < 1 || pr > 9_999_999_999)
        throw new LabError(`PR must be a number from 1 to 9999999999, got ${pr}`);
      if (this.#canaries.has(pr))
        throw new LabError(`PR ${pr} is already running; remove it first (canary lab rm ${pr})`);
      const services = [...new Set(options.services)];
      if (services.length === 0) throw new LabError('no services given');
      for (const s of services) {
        if (!LAB_SERVICES.includes(s))
          throw new LabError(`unknown service ${s} (known: ${LAB_SERVICES.join(', ')})`);
      }
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
      const table = options.isolatedData ? `store-items-pr-${pr}` : undefined;
      const canary: Canary = { pr, services, sha, ref: options.ref, table, objects, worktree };
      // Validate the routes before starting anything.
      buildEdgeTable([...this.#stableObjects, ...objects]);
      buildMeshTable([...this.#stableObjects, ...objects]);
      const started: string[] = [];
      try {
        for (const service of [...services].sort().reverse()) {
          const namespace = `${NAMESPACE_PREFIX[service]}-canary-pr-${pr}`;
          this.#say(`starting ${service} for PR ${pr} in ${namespace} ...`);
          await this.#startBackend(
            service,
            namespace,
            `pr-${pr}`,
            `pr-${pr}-${sha.slice(0, 8)}`,
            root,
            table === undefined || service !== 'store-service' ? {} : { TABLE_NAME: table },
          );
          started.push(serviceKey({ name: service, namespace }));
        }
      } catch (err) {
        for (const key of started) await this.#stopBackend(key);
        throw err;
      }
      // Routes only once the workload is ready, as the sync waves do in the cluster.
      this.#canaries.set(pr, canary);
      this.#rebuild(this.#canaries.values());
      await this.#updateTargets();
      this.#say(`PR ${pr}: ${objects.length} route objects loaded`);
      return canary;
    });
  }

  async #stopBackend(key: string) {
    const backend = this.#backends.get(key);
    if (backend === undefined) return;
    await backend.process.stop();
    this.#backends.delete(key);
  }

  /** Removes PR `pr`: routes first (traffic returns to stable), then its processes and data. */
  remove(pr: number): Promise<void> {
    return this.#serial(async () => {
      const canary = this.#canaries.get(pr);
      if (canary === undefined) throw new LabError(`PR ${pr} is not running`);
      this.#canaries.delete(pr);
      this.#rebuild(this.#canaries.values());
      for (const service of canary.services) {
        await this.#stopBackend(
          serviceKey({ name: service, namespace: `${NAMESPACE_PREFIX[service]}-canary-pr-${pr}` }),
        );
      }
      await this.#updateTargets();
      if (canary.table !== undefined) await this.#dropTable(canary.table);
      if (
        canary.worktree !== undefined &&
        ![...this.#canaries.values()].some((c) => c.worktree === canary.worktree)
      ) {
        await removeWorktree(this.#options.repoRoot, canary.worktree);
      }
      this.#say(`PR ${pr} removed`);
    });
  }

  async #dropTable(table: string) {
    const client = new DynamoDBClient({
      endpoint: this.#dynamo.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    try {
      await client.send(new DeleteTableCommand({ TableName: table }));
    } catch (err) {
      if (!(err instanceof ResourceNotFoundException)) throw err;
    } finally {
      client.destroy();
    }
  }

  /** The process behind a Service reference (tests use it to kill one). */
  backend(service: LabService, namespace: string): ServiceProcess | undefined {
    return this.#backends.get(serviceKey({ name: service, namespace }))?.process;
  }

  get ports(): { internal: number; websecure: number; mesh: number; dynamodb: number } {
    return {
      internal: this.#edge.ports.internal ?? 0,
      websecure: this.#edge.ports.websecure ?? 0,
      mesh: this.#mesh.port,
      dynamodb: this.#dynamo.port,
    };
  }

  get host() {
    return this.#host;
  }

  status(): LabStatus {
    return {
      entrypoints: Object.fromEntries(
        Object.entries(this.#edge.ports).map(([name, port]) => [
          name,
          `http://localhost:${port}${name === 'internal' ? ' (guarded: X-Canary honoured)' : ' (public: X-Canary stripped)'}`,
        ]),
      ),
      mesh: `127.0.0.1:${this.#mesh.port}`,
      dynamodb: this.#dynamo.endpoint,
      dataDir: this.#options.dataDir ?? null,
      prometheus: this.#prometheus?.url ?? null,
      services: [...this.#backends.entries()].map(([key, b]) => ({
        service: b.service,
        track: b.track,
        version: b.version,
        key,
        address: `127.0.0.1:${b.process.ports.port}`,
        pid: b.process.pid,
        up: b.process.child.exitCode === null && b.process.child.signalCode === null,
        source: b.source,
      })),
      canaries: [...this.#canaries.values()].map((c) => ({
        pr: c.pr,
        services: c.services,
        sha: c.sha,
        ref: c.ref ?? null,
        table: c.table ?? null,
      })),
      routes: {
        edge: this.#edge.table.map(
          (r) =>
            `${r.id} [${r.entryPoints.join(',')}] priority ${r.priority}: ${r.rule} → ${r.backend.name}.${r.backend.namespace}`,
        ),
        mesh: [...this.#mesh.table.entries()].flatMap(([parent, rules]) =>
          rules.map(
            (r) =>
              `${r.id} on ${parent}: ${r.matches.length === 0 ? 'any call' : r.matches.map((m) => [m.service && `service ${m.service}`, ...m.headers.map((h) => `${h.name}: ${h.value}`)].filter(Boolean).join(' and ')).join(' or ')} → ${r.backend.name}.${r.backend.namespace}`,
          ),
        ),
      },
    };
  }

  /** Which edge route and which mesh rule a request would take, and why. */
  explain(request: { entryPoint: string; host: string; path: string; headers: Record<string, string> }) {
    const host = this.#edge.hostOf(request.host);
    const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v]));
    const view = { host, path: request.path, headers };
    const candidates = this.#edge.table.filter((r) => r.entryPoints.includes(request.entryPoint));
    const edge = selectEdgeRoute(this.#edge.table, request.entryPoint, view);
    const losers = candidates.filter(
      (r) =>
        r !== edge && r.matchers.length > 0 && selectEdgeRoute([r], request.entryPoint, view) !== undefined,
    );
    let forwarded = { ...headers };
    for (const mw of edge?.middlewares ?? []) {
      if (mw.kind === 'headers') for (const name of mw.remove) delete forwarded[name];
    }
    const key = /^\s*([1-9][0-9]{0,9})\s*$/.exec(forwarded['x-canary'] ?? '')?.[1];
    forwarded = key === undefined ? {} : { 'x-canary': key };
    const mesh = this.#mesh.decide('/store.v1.StoreService/ListItems', forwarded);
    return {
      edge:
        edge === undefined
          ? null
          : {
              route: edge.id,
              rule: edge.rule,
              priority: edge.priority,
              explicitPriority: edge.explicitPriority,
              backend: `${edge.backend.name}.${edge.backend.namespace}`,
              middlewares: edge.middlewares.map((m) => m.name),
              outranked: losers.map((r) => `${r.id} (priority ${r.priority})`),
            },
      propagatedKey: key ?? null,
      mesh: {
        rule: mesh.rule?.id ?? null,
        backend: mesh.backend === undefined ? null : `${mesh.backend.name}.${mesh.backend.namespace}`,
      },
    };
  }

  get prometheusUrl(): string | undefined {
    return this.#prometheus?.url;
  }

  async stop(): Promise<void> {
    await this.#prometheus?.stop().catch(() => undefined);
    await this.#edge?.close().catch(() => undefined);
    const stops = [...this.#backends.keys()].map((key) => this.#stopBackend(key));
    await Promise.all(stops);
    await this.#mesh?.close().catch(() => undefined);
    await this.#dynamo?.close().catch(() => undefined);
  }
}

export type { EdgeRoute };
export { git };
