// The lab's two routing hops behind one interface each: the edge (Traefik's entrypoints)
// and the mesh (Linkerd in front of every mesh service). The lab talks to these
// interfaces only; which implementation runs is the lab's `edge` option.

import type { BackendRef, PlatformObject } from 'routing-model';
import type { GrpcCallView } from 'routing-model/mesh';
import type { BackendResolver } from './backends.ts';

/** Which edge the lab runs: its own emulation of Traefik, or real Traefik (issue 23). */
export type EdgeKind = 'emulated' | 'traefik';
export const EDGE_KINDS: readonly EdgeKind[] = ['emulated', 'traefik'];

export interface EdgeOptions {
  /** Entrypoint name → port to listen on (0: any free port). */
  readonly entryPoints: Readonly<Record<string, number>>;
  /**
   * Entrypoints whose error answers may name the route's service and why it failed (the
   * lab's `internal`); every other entrypoint answers errors in general words.
   */
  readonly guardedEntryPoints: readonly string[];
  /** The API host: localhost stands for it, `<name>.localhost` for `<name>.<host>`. */
  readonly host: string;
  /**
   * Where a backend Service runs now. The answer changes when a service starts, restarts
   * or stops; the lab then calls `backendsChanged()`.
   */
  readonly resolve: BackendResolver;
}

/** A request to explain, as a client sends it. */
export interface EdgeRequest {
  readonly entryPoint: string;
  /** The Host header as sent (with port, any case). */
  readonly host: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** The route an edge takes for a request, and what the backend gets. */
export interface EdgeDecision {
  /** `IngressRoute ns/name routes[i]`. */
  readonly route: string;
  readonly rule: string;
  readonly priority: number;
  /** false: the priority is Traefik's default (the rule's length). */
  readonly explicitPriority: boolean;
  readonly backend: BackendRef;
  /** Middlewares applied, in order (`Middleware ns/name`). */
  readonly middlewares: readonly string[];
  /** Routes that match too but lose on priority (or on table order). */
  readonly outranked: readonly string[];
  /** The request headers as the backend gets them (after the middlewares), lower-case names. */
  readonly forwarded: Readonly<Record<string, string>>;
}

/**
 * The lab's edge. An implementation may run in this process (the emulation) or be an
 * external process that owns the listening ports (real Traefik fed by its file
 * provider): every method that changes what is served is asynchronous and resolves once
 * the change is in effect.
 */
export interface LabEdge {
  readonly kind: EdgeKind;
  /** Throws (UnsupportedRouteError, naming the object and field) when this edge cannot serve these objects; changes nothing. */
  validate(objects: readonly PlatformObject[]): void;
  /** Starts serving these routes on the entrypoints; resolves once every entrypoint accepts connections. */
  start(objects: readonly PlatformObject[]): Promise<void>;
  /** Replaces the routes (a PR added or removed); requests after it resolves take the new ones. */
  load(objects: readonly PlatformObject[]): Promise<void>;
  /** Some backend's address changed (a service started, restarted or stopped): resolve again. */
  backendsChanged(): Promise<void>;
  /** Entrypoint → the port it listens on (empty before start). */
  readonly ports: Readonly<Record<string, number>>;
  /** The loaded routes, one line each, as `lab status` prints them. */
  routeLines(): string[];
  /** The route this edge takes for a request; null when no route matches (the edge answers 404). */
  explain(request: EdgeRequest): EdgeDecision | null;
  /** Stops taking requests; the ports are free once it resolves. */
  close(): Promise<void>;
}

/**
 * Makes an edge. Cheap: no process starts and no port opens before `start` (the lab also
 * makes one to validate routes before anything runs).
 */
export type LabEdgeFactory = (options: EdgeOptions) => LabEdge;

/** Where the mesh sends one gRPC call to a parent Service. */
export interface MeshDecision {
  /** `GRPCRoute ns/name rules[i]`; undefined: no route is attached (the parent serves); null: routes are attached and none matches (the call fails). */
  readonly rule: string | undefined | null;
  /** undefined when the call fails. */
  readonly backend: BackendRef | undefined;
  /** The rule matched on the routing key (a canary rule), not a catch-all. */
  readonly byKey: boolean;
}

/** The lab's mesh: one router in front of every service the catalogue reaches through the mesh. */
export interface LabMesh {
  validate(objects: readonly PlatformObject[]): void;
  /** Starts every mesh router (callers need their addresses before they start). */
  start(objects: readonly PlatformObject[]): Promise<void>;
  load(objects: readonly PlatformObject[]): Promise<void>;
  /** host:port at which callers reach a mesh service. */
  address(service: string): string;
  /** Mesh router port by the service it fronts. */
  readonly ports: Readonly<Record<string, number>>;
  routeLines(): string[];
  /** Where a call to `service` (its stable Service, as callers address it) goes. */
  decide(service: string, call: GrpcCallView): MeshDecision;
  close(): Promise<void>;
}
