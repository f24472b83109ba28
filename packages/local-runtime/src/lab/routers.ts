import { CANARY_HEADER, parseCanaryKey } from 'canary-context';
import { type ServiceEntry, STABLE_NAMESPACE, serviceOf } from 'service-catalogue';
import type { BackendResolver } from './backends.ts';
import { EdgeRouter } from './edge-router.ts';
import { type BackendRef, buildEdgeTable, type LabObject, selectEdgeRoute } from './edge-table.ts';
import { MeshRouter } from './mesh-router.ts';
import { buildMeshTable } from './mesh-table.ts';

export interface ExplainRequest {
  readonly entryPoint: string;
  readonly host: string;
  readonly path: string;
  readonly headers: Record<string, string>;
}

/** One mesh hop of an explanation: the call to `parent` and where its routes send it. */
export interface MeshHop {
  readonly caller: string;
  readonly parent: string;
  readonly rule: string | null;
  readonly backend: string | null;
}

export interface Explanation {
  readonly edge: {
    readonly route: string;
    readonly rule: string;
    readonly priority: number;
    readonly explicitPriority: boolean;
    readonly backend: string;
    readonly middlewares: readonly string[];
    readonly outranked: readonly string[];
  } | null;
  /** The routing key the services pass on (after the edge's middlewares), or null. */
  readonly propagatedKey: string | null;
  /** Every gRPC call the request leads to, in call order, with the rule that routes it. */
  readonly mesh: readonly MeshHop[];
}

/**
 * The lab's routing: the edge router (the Traefik entrypoints) and one mesh router in
 * front of every service the catalogue reaches through the mesh (its callers, and a
 * developer's gRPC client, go through it as through Linkerd). All are fed the same
 * rendered objects; a new set is validated for all routers before any of them switches.
 */
export class Routers {
  readonly #catalogue: readonly ServiceEntry[];
  readonly #resolve: BackendResolver;
  readonly #mesh = new Map<string, MeshRouter>();
  #edge: EdgeRouter | undefined;

  constructor(catalogue: readonly ServiceEntry[], resolve: BackendResolver) {
    this.#catalogue = catalogue;
    this.#resolve = resolve;
  }

  /** Starts the mesh routers (callers need their addresses before they start). */
  async listenMesh(objects: readonly LabObject[]): Promise<void> {
    const table = buildMeshTable(objects);
    for (const entry of this.#catalogue.filter((e) => e.exposure === 'mesh')) {
      const parent: BackendRef = { name: entry.name, namespace: STABLE_NAMESPACE, port: entry.port };
      const router = new MeshRouter(parent, this.#resolve);
      router.setTable(table);
      await router.listen();
      this.#mesh.set(entry.name, router);
    }
  }

  /** Starts the edge's entrypoints, answering for `host` (localhost stands for it). */
  async listenEdge(
    objects: readonly LabObject[],
    entryPoints: Readonly<Record<string, number>>,
    host: string,
  ): Promise<void> {
    // `internal` is the lab's guarded entrypoint (a developer's own machine): its errors
    // name the service and why; every other entrypoint answers errors in general words.
    const edge = new EdgeRouter({
      entryPoints,
      host,
      resolve: this.#resolve,
      guardedEntryPoints: ['internal'],
    });
    edge.setTable(buildEdgeTable(objects));
    await edge.listen();
    this.#edge = edge;
  }

  /** Address (host:port) at which callers reach a called service through its mesh router. */
  meshAddress(service: string): string {
    const router = this.#mesh.get(service);
    if (router === undefined) throw new Error(`no mesh router for ${service} (its exposure is not mesh)`);
    return `127.0.0.1:${router.port}`;
  }

  /** Every downstream of a service, addressed through the mesh. */
  downstreamAddresses(entry: ServiceEntry): Record<string, string> {
    return Object.fromEntries(entry.downstreams.map((d) => [d.service, this.meshAddress(d.service)]));
  }

  /** Throws (UnsupportedRouteError, naming the object) when any router could not use these objects. */
  validate(objects: readonly LabObject[]): void {
    buildEdgeTable(objects);
    buildMeshTable(objects);
  }

  /** Swaps every router's table; both tables are built (and validated) before either changes. */
  setObjects(objects: readonly LabObject[]): void {
    const edge = buildEdgeTable(objects);
    const mesh = buildMeshTable(objects);
    this.#edge?.setTable(edge);
    for (const router of this.#mesh.values()) router.setTable(mesh);
  }

  get edgePorts(): Readonly<Record<string, number>> {
    return this.#edge?.ports ?? {};
  }

  get meshPorts(): Record<string, number> {
    return Object.fromEntries([...this.#mesh.entries()].map(([name, router]) => [name, router.port]));
  }

  /** The loaded routes, one line each, as `lab status` prints them. */
  routeLines(): { edge: string[]; mesh: string[] } {
    const edge = (this.#edge?.table ?? []).map(
      (r) =>
        `${r.id} [${r.entryPoints.join(',')}] priority ${r.priority}: ${r.rule} → ${r.backend.name}.${r.backend.namespace}`,
    );
    // Every mesh router holds the same table (rules by parent): print it once.
    const [first] = this.#mesh.values();
    const mesh = [...(first?.table.entries() ?? [])].flatMap(([parent, rules]) =>
      rules.map((r) => {
        const when =
          r.matches.length === 0
            ? 'any call'
            : r.matches
                .map((m) =>
                  [m.service && `service ${m.service}`, ...m.headers.map((h) => `${h.name}: ${h.value}`)]
                    .filter(Boolean)
                    .join(' and '),
                )
                .join(' or ');
        return `${r.id} on ${parent}: ${when} → ${r.backend.name}.${r.backend.namespace}`;
      }),
    );
    return { edge, mesh };
  }

  /**
   * Which edge route a request takes, the key the services pass on, and for every gRPC
   * call that follows (the catalogue's downstreams of whichever backend serves each hop)
   * which GRPCRoute rule picks the backend.
   */
  explain(request: ExplainRequest): Explanation {
    const edgeRouter = this.#edge;
    if (edgeRouter === undefined) throw new Error('the edge is not running');
    const table = edgeRouter.table;
    const host = edgeRouter.hostOf(request.host);
    const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v]));
    const view = { host, path: request.path, headers };
    const edge = selectEdgeRoute(table, request.entryPoint, view);
    const outranked = table.filter(
      (r) =>
        r !== edge &&
        r.entryPoints.includes(request.entryPoint) &&
        r.matchers.length > 0 &&
        selectEdgeRoute([r], request.entryPoint, view) !== undefined,
    );
    const forwarded = { ...headers };
    for (const mw of edge?.middlewares ?? []) {
      if (mw.kind === 'headers') for (const name of mw.remove) delete forwarded[name];
    }
    const parsed = parseCanaryKey(forwarded[CANARY_HEADER]);
    const key = parsed.kind === 'valid' ? parsed.key : null;
    const metadata = key === null ? {} : { [CANARY_HEADER]: key };
    const mesh: MeshHop[] = [];
    const follow = (backend: BackendRef, seen: ReadonlySet<string>) => {
      const caller = this.#catalogue.find((e) => e.name === backend.name);
      for (const down of caller?.downstreams ?? []) {
        if (seen.has(down.service)) continue;
        const router = this.#mesh.get(down.service);
        const target = serviceOf(this.#catalogue, down.service);
        if (router === undefined || target.grpcService === null) continue;
        const decision = router.decide(`/${target.grpcService}/`, metadata);
        mesh.push({
          caller: `${backend.name}.${backend.namespace}`,
          parent: `${down.service}.${STABLE_NAMESPACE}`,
          rule: decision.rule?.id ?? null,
          backend:
            decision.backend === undefined ? null : `${decision.backend.name}.${decision.backend.namespace}`,
        });
        if (decision.backend !== undefined) follow(decision.backend, new Set([...seen, down.service]));
      }
    };
    if (edge !== undefined) follow(edge.backend, new Set([edge.backend.name]));
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
              outranked: outranked.map((r) => `${r.id} (priority ${r.priority})`),
            },
      propagatedKey: key,
      mesh,
    };
  }

  /** Stops taking requests from outside (first, when the lab stops). */
  async closeEdge(): Promise<void> {
    await this.#edge?.close().catch(() => undefined);
  }

  /** Stops the mesh (last: draining services may still call through it). */
  async closeMesh(): Promise<void> {
    for (const router of this.#mesh.values()) await router.close().catch(() => undefined);
  }
}
