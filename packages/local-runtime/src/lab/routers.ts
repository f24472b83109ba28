import { CANARY_HEADER, parseCanaryKey } from 'canary-context';
import type { BackendRef, PlatformObject } from 'routing-model';
import { GUARDED_ENTRYPOINT } from 'routing-model/traefik';
import { prOfNamespace, type ServiceEntry, STABLE_NAMESPACE } from 'service-catalogue';
import type { BackendResolver } from './backends.ts';
import type { EdgeKind, LabEdge, LabEdgeFactory, LabMesh } from './edge.ts';
import { edgeFactory } from './edges.ts';
import { EmulatedMesh } from './emulated-mesh.ts';

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
  /** The GRPCRoute rule that decided, or null when no route is attached or none matches. */
  readonly rule: string | null;
  readonly backend: string | null;
  /** The PR whose canary the call reaches; null for stable (or a failed call). */
  readonly pr: string | null;
  /** Whether the rule matched on the routing key (false: a catch-all or no route sent it on). */
  readonly byKey: boolean;
}

export interface Explanation {
  /** Which edge implementation answered (emulated or traefik). */
  readonly edgeKind: EdgeKind;
  readonly edge: {
    readonly route: string;
    readonly rule: string;
    readonly priority: number;
    readonly explicitPriority: boolean;
    readonly backend: string;
    readonly middlewares: readonly string[];
    readonly outranked: readonly string[];
    /** The PR whose canary the route sends to; null for stable. */
    readonly pr: string | null;
  } | null;
  /** The routing key the services pass on (after the edge's middlewares), or null. */
  readonly propagatedKey: string | null;
  /** Every gRPC call the request leads to, in call order, with the rule that routes it. */
  readonly mesh: readonly MeshHop[];
}

/**
 * The lab's routing: the edge (Traefik's entrypoints: a LabEdge, emulated or real) and the
 * mesh (a LabMesh: a router in front of every service the catalogue reaches through the
 * mesh; its callers, and a developer's gRPC client, go through it as through Linkerd).
 * Both are fed the same rendered objects; a new set is validated for both before either
 * switches.
 */
export class Routers {
  readonly #catalogue: readonly ServiceEntry[];
  readonly #resolve: BackendResolver;
  readonly #edgeFactory: LabEdgeFactory;
  readonly #mesh: LabMesh;
  #edge: LabEdge | undefined;

  constructor(
    catalogue: readonly ServiceEntry[],
    resolve: BackendResolver,
    edge: EdgeKind | LabEdgeFactory = 'emulated',
  ) {
    this.#catalogue = catalogue;
    this.#resolve = resolve;
    this.#edgeFactory = typeof edge === 'function' ? edge : edgeFactory(edge);
    this.#mesh = new EmulatedMesh(catalogue, resolve);
  }

  /** Starts the mesh routers (callers need their addresses before they start). */
  listenMesh(objects: readonly PlatformObject[]): Promise<void> {
    return this.#mesh.start(objects);
  }

  /** Starts the edge's entrypoints, answering for `host` (localhost stands for it). */
  async listenEdge(
    objects: readonly PlatformObject[],
    entryPoints: Readonly<Record<string, number>>,
    host: string,
  ): Promise<void> {
    // `internal` is the lab's guarded entrypoint (a developer's own machine): its errors
    // name the service and why; every other entrypoint answers errors in general words.
    const edge = this.#edgeFactory({
      entryPoints,
      host,
      resolve: this.#resolve,
      guardedEntryPoints: [GUARDED_ENTRYPOINT],
    });
    this.#edge = edge;
    await edge.start(objects);
  }

  /** Address (host:port) at which callers reach a called service through its mesh router. */
  meshAddress(service: string): string {
    return this.#mesh.address(service);
  }

  /** Every downstream of a service, addressed through the mesh. */
  downstreamAddresses(entry: ServiceEntry): Record<string, string> {
    return Object.fromEntries(entry.downstreams.map((d) => [d.service, this.meshAddress(d.service)]));
  }

  /** Throws (UnsupportedRouteError, naming the object) when any router could not use these objects. */
  validate(objects: readonly PlatformObject[]): void {
    if (this.#edge !== undefined) this.#edge.validate(objects);
    else
      this.#edgeFactory({
        entryPoints: {},
        host: '',
        resolve: this.#resolve,
        guardedEntryPoints: [],
      }).validate(objects);
    this.#mesh.validate(objects);
  }

  /** Swaps the edge's and the mesh's routes; both validate the objects before either changes. */
  async setObjects(objects: readonly PlatformObject[]): Promise<void> {
    this.validate(objects);
    await this.#edge?.load(objects);
    await this.#mesh.load(objects);
  }

  /** A backend started, restarted or stopped (an edge that holds addresses resolves again). */
  async backendsChanged(): Promise<void> {
    await this.#edge?.backendsChanged();
  }

  get edgePorts(): Readonly<Record<string, number>> {
    return this.#edge?.ports ?? {};
  }

  get meshPorts(): Record<string, number> {
    return { ...this.#mesh.ports };
  }

  /** The loaded routes, one line each, as `lab status` prints them. */
  routeLines(): { edge: string[]; mesh: string[] } {
    return { edge: this.#edge?.routeLines() ?? [], mesh: this.#mesh.routeLines() };
  }

  /**
   * Which edge route a request takes, the key the services pass on, and for every gRPC
   * call that follows (the catalogue's downstreams of whichever backend serves each hop)
   * which GRPCRoute rule picks the backend.
   */
  explain(request: ExplainRequest): Explanation {
    const edgeImpl = this.#edge;
    if (edgeImpl === undefined) throw new Error('the edge is not running');
    const edge = edgeImpl.explain(request);
    const parsed = parseCanaryKey(edge?.forwarded[CANARY_HEADER]);
    const key = parsed.kind === 'valid' ? parsed.key : null;
    const metadata = key === null ? {} : { [CANARY_HEADER]: key };
    const mesh: MeshHop[] = [];
    const follow = (backend: BackendRef, seen: ReadonlySet<string>) => {
      const caller = this.#catalogue.find((e) => e.name === backend.name);
      for (const down of caller?.downstreams ?? []) {
        if (seen.has(down.service)) continue;
        const target = this.#catalogue.find((e) => e.name === down.service);
        if (target?.grpcService === null || target === undefined) continue;
        const decision = this.#mesh.decide(down.service, {
          service: target.grpcService,
          method: '',
          headers: metadata,
        });
        mesh.push({
          caller: `${backend.name}.${backend.namespace}`,
          parent: `${down.service}.${STABLE_NAMESPACE}`,
          rule: decision.rule ?? null,
          backend:
            decision.backend === undefined ? null : `${decision.backend.name}.${decision.backend.namespace}`,
          pr: decision.backend === undefined ? null : (prOfNamespace(decision.backend.namespace) ?? null),
          byKey: decision.byKey,
        });
        if (decision.backend !== undefined) follow(decision.backend, new Set([...seen, down.service]));
      }
    };
    if (edge !== null) follow(edge.backend, new Set([edge.backend.name]));
    return {
      edgeKind: edgeImpl.kind,
      edge:
        edge === null
          ? null
          : {
              route: edge.route,
              rule: edge.rule,
              priority: edge.priority,
              explicitPriority: edge.explicitPriority,
              backend: `${edge.backend.name}.${edge.backend.namespace}`,
              middlewares: edge.middlewares,
              outranked: edge.outranked,
              pr: prOfNamespace(edge.backend.namespace) ?? null,
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
    await this.#mesh.close();
  }
}
