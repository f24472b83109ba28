import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type PlatformObject, readPlatform } from 'routing-model';
import { buildEdgeTable } from 'routing-model/traefik';
import { ensureTool, freePort } from 'upstream-tools';
import type { EdgeDecision, EdgeOptions, EdgeRequest, LabEdge } from './edge.ts';
import { decideEdge } from './edge-decision.ts';
import { loopbackAliases } from './loopback-host.ts';

/** One router of the file provider's dynamic configuration. */
interface FileRouter {
  readonly entryPoints: readonly string[];
  readonly rule: string;
  readonly priority: number;
  readonly middlewares: readonly string[];
  readonly service: string;
}

/** The file provider's dynamic configuration (JSON is YAML, which the file provider reads). */
export interface DynamicConfig {
  readonly http: {
    readonly routers: Record<string, FileRouter>;
    readonly middlewares: Record<string, unknown>;
    readonly services: Record<string, { loadBalancer: { servers: Array<{ url: string }> } }>;
  };
}

/** Names are what Traefik's kubernetescrd provider would build from the same objects, minus its hash. */
const middlewareName = (namespace: string, name: string) => `${namespace}-${name}`;
const serviceName = (namespace: string, name: string, port: string | number) =>
  `${namespace}-${name}-${port}`;

/**
 * A rule with each Host() given its loopback aliases as alternatives (loopback-host.ts);
 * nothing else in the rule changes.
 */
export function withLoopbackAliases(rule: string, host: string): string {
  return rule.replace(/Host\(`([^`]+)`\)/g, (whole, value: string) => {
    const aliases = loopbackAliases(value, host);
    return aliases.length === 0
      ? whole
      : `(${[whole, ...aliases.map((a) => `Host(\`${a}\`)`)].join(' || ')})`;
  });
}

/**
 * Translates the rendered IngressRoutes and Middlewares to Traefik's file provider: one
 * router per IngressRoute route (its rule with loopback aliases, its priority — Traefik's
 * default, the rule's length, written out so the aliases do not change it — its
 * entrypoints and middlewares), each Middleware's spec as written (Traefik reads the
 * same fields in both providers), and one service per backend with the address the lab
 * runs it at (none while it is down: Traefik answers 503). TLS is not configured: the
 * lab's entrypoints are plain HTTP on loopback, as with the emulated edge.
 */
export function dynamicConfig(
  objects: readonly PlatformObject[],
  options: Pick<EdgeOptions, 'host' | 'resolve' | 'entryPoints'>,
): DynamicConfig {
  const platform = readPlatform(objects);
  const routers: Record<string, FileRouter> = {};
  const services: DynamicConfig['http']['services'] = {};
  const served = Object.keys(options.entryPoints);
  for (const ingress of platform.ingressRoutes) {
    const entryPoints =
      ingress.entryPoints.length === 0 ? served : ingress.entryPoints.filter((e) => served.includes(e));
    if (entryPoints.length === 0) continue;
    for (const route of ingress.routes) {
      const backend = route.services[0];
      if (backend === undefined) continue;
      const service = serviceName(backend.namespace, backend.name, backend.port);
      const resolved = options.resolve({
        name: backend.name,
        namespace: backend.namespace,
        port: backend.port,
      });
      services[service] = {
        loadBalancer: { servers: resolved.kind === 'up' ? [{ url: `http://${resolved.address}` }] : [] },
      };
      routers[`${ingress.namespace}-${ingress.name}-${route.index}`] = {
        entryPoints,
        rule: withLoopbackAliases(route.rule, options.host),
        priority: route.priority,
        middlewares: route.middlewares.map((m) => middlewareName(m.namespace, m.name)),
        service,
      };
    }
  }
  const middlewares: Record<string, unknown> = {};
  for (const mw of platform.middlewares) middlewares[middlewareName(mw.namespace, mw.name)] = mw.source.spec;
  return { http: { routers, middlewares, services } };
}

interface ApiItem {
  readonly name: string;
  readonly status: string;
  readonly error?: readonly string[];
  readonly provider: string;
  readonly rule?: string;
  readonly loadBalancer?: { readonly servers?: ReadonlyArray<{ readonly url: string }> };
}

/**
 * Real Traefik as the lab's edge: built from its Go module (upstream-tools), run as a child
 * process owning the lab's entrypoint ports, fed by its file provider from the same
 * rendered objects the emulation reads. A change is in effect once Traefik's API reports
 * every router enabled and every service with the lab's current addresses.
 */
export class TraefikEdge implements LabEdge {
  readonly kind = 'traefik';
  readonly #options: EdgeOptions;
  readonly #dir: string;
  #objects: readonly PlatformObject[] = [];
  #config: DynamicConfig | undefined;
  #child: ChildProcess | undefined;
  #ports: Record<string, number> = {};
  #apiPort = 0;

  constructor(options: EdgeOptions, dir: string) {
    this.#options = options;
    this.#dir = dir;
  }

  validate(objects: readonly PlatformObject[]): void {
    // The same objects the emulation accepts (explain evaluates them with the same model).
    buildEdgeTable(objects);
  }

  get ports(): Readonly<Record<string, number>> {
    return this.#ports;
  }

  get #file(): string {
    return join(this.#dir, 'traefik-dynamic.yaml');
  }

  async start(objects: readonly PlatformObject[]): Promise<void> {
    this.validate(objects);
    const tool = await ensureTool('traefik');
    mkdirSync(this.#dir, { recursive: true });
    for (const [name, port] of Object.entries(this.#options.entryPoints))
      this.#ports[name] = port === 0 ? await freePort() : port;
    this.#apiPort = await freePort();
    this.#write(objects);
    const log = join(this.#dir, 'traefik.log');
    writeFileSync(log, '');
    const child = spawn(
      tool.path,
      [
        ...Object.entries(this.#ports).map(
          ([name, port]) => `--entryPoints.${name}.address=127.0.0.1:${port}`,
        ),
        `--entryPoints.traefik.address=127.0.0.1:${this.#apiPort}`,
        '--api.insecure=true',
        '--api.dashboard=false',
        `--providers.file.filename=${this.#file}`,
        '--providers.file.watch=true',
        '--providers.providersThrottleDuration=0s',
        '--global.checkNewVersion=false',
        '--global.sendAnonymousUsage=false',
        '--log.level=ERROR',
        `--log.filePath=${log}`,
      ],
      { stdio: 'ignore' },
    );
    this.#child = child;
    try {
      await this.#settled(30_000);
    } catch (err) {
      await this.close();
      const tail = readFileSync(log, 'utf8').split('\n').slice(-10).join('\n');
      throw new Error(`traefik ${tool.version}: ${(err as Error).message}${tail === '' ? '' : `\n${tail}`}`);
    }
  }

  async load(objects: readonly PlatformObject[]): Promise<void> {
    this.validate(objects);
    if (this.#child === undefined) throw new Error('the Traefik edge is not running');
    this.#write(objects);
    await this.#settled(15_000);
  }

  async backendsChanged(): Promise<void> {
    // Services stop after the edge when the lab stops: nothing is serving to update.
    if (this.#child === undefined) return;
    this.#write(this.#objects);
    await this.#settled(15_000);
  }

  routeLines(): string[] {
    return Object.entries(this.#config?.http.routers ?? {}).map(
      ([name, r]) =>
        `${name}@file [${r.entryPoints.join(',')}] priority ${r.priority}: ${r.rule} → ${r.service}`,
    );
  }

  /**
   * The route the loaded routers give a request, evaluated with the project's Traefik
   * model over the objects Traefik was given (the edge differential test holds that model
   * to real Traefik request by request).
   */
  explain(request: EdgeRequest): EdgeDecision | null {
    return decideEdge(buildEdgeTable(this.#objects), request, this.#options.host);
  }

  async close(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (child === undefined || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 3_000).unref();
    });
  }

  #write(objects: readonly PlatformObject[]): void {
    this.#objects = objects;
    this.#config = dynamicConfig(objects, { ...this.#options, entryPoints: this.#ports });
    // Written whole and renamed, so the watcher never reads half a file.
    const partial = `${this.#file}.partial`;
    writeFileSync(partial, JSON.stringify(this.#config, null, 2));
    renameSync(partial, this.#file);
  }

  async #api(path: string): Promise<ApiItem[]> {
    const res = await fetch(`http://127.0.0.1:${this.#apiPort}${path}`, {
      signal: AbortSignal.timeout(2_000),
    });
    if (!res.ok) throw new Error(`API ${path}: HTTP ${res.status}`);
    return (await res.json()) as ApiItem[];
  }

  /** Resolves once Traefik serves exactly the written configuration; throws naming what it refused. */
  async #settled(timeoutMs: number): Promise<void> {
    const config = this.#config;
    if (config === undefined) return;
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer from its API';
    for (;;) {
      if (this.#child?.exitCode !== null && this.#child?.exitCode !== undefined)
        throw new Error(`exited with ${this.#child.exitCode}`);
      try {
        const [routers, services] = await Promise.all([
          this.#api('/api/http/routers?per_page=1000'),
          this.#api('/api/http/services?per_page=1000'),
        ]);
        const loaded = new Map(
          routers.filter((r) => r.provider === 'file').map((r) => [r.name.replace(/@file$/, ''), r]),
        );
        const disabled = [...loaded.values()].filter(
          (r) => r.status !== 'enabled' || (r.error ?? []).length > 0,
        );
        if (disabled.length > 0)
          throw new Error(
            `Traefik refused routes: ${disabled.map((r) => `${r.name}: ${(r.error ?? [r.status]).join('; ')}`).join(', ')}`,
          );
        const wantedServers = Object.entries(config.http.services).every(([name, s]) => {
          const live = services.find((x) => x.name === `${name}@file`);
          const urls = (live?.loadBalancer?.servers ?? []).map((x) => x.url).sort();
          return JSON.stringify(urls) === JSON.stringify(s.loadBalancer.servers.map((x) => x.url).sort());
        });
        const sameRouters =
          loaded.size === Object.keys(config.http.routers).length &&
          Object.entries(config.http.routers).every(([name, r]) => loaded.get(name)?.rule === r.rule);
        if (sameRouters && wantedServers) return;
        last = `${loaded.size} of ${Object.keys(config.http.routers).length} routers loaded`;
      } catch (err) {
        if ((err as Error).message.startsWith('Traefik refused')) throw err;
        last = (err as Error).message;
      }
      if (Date.now() > deadline)
        throw new Error(`did not load the lab's routes in ${timeoutMs / 1000} s (${last})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
