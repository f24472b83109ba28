// The mesh as a routing provider: Gateway API routes (GRPCRoute, and HTTPRoute's
// parents and backends) attached to Services as Linkerd reads them, ReferenceGrants, and
// the Gateway API's choice of rule for a call. The lab's mesh, verify's mesh rules,
// explain and the bench read the mesh through this module only.
import { CANARY_METADATA_KEY } from 'canary-context';
import { HeaderIndex } from './header-index.ts';
import {
  type BackendRef,
  FieldReader,
  list,
  memo,
  objectId,
  type PlatformObject,
  text,
  UnsupportedRouteError,
} from './object.ts';

/** The API group and version of the Gateway API routes the manifests render. */
export const GATEWAY_GROUP = 'gateway.networking.k8s.io';
export const GATEWAY_API_VERSION = `${GATEWAY_GROUP}/v1`;
/** The namespace annotation that gives pods a Linkerd proxy (an annotation, not a label). */
export const LINKERD_INJECT = 'linkerd.io/inject';
/** The gRPC metadata key canary routes match (owned by canary-context). */
export const MESH_CANARY_KEY = CANARY_METADATA_KEY;

export interface ParentRef {
  /** `spec.parentRefs[i]`. */
  readonly path: string;
  /** As written (a Service parent's group is "", the core group). */
  readonly group: string | undefined;
  readonly kind: string | undefined;
  readonly name: string;
  /** Resolved: the route's namespace when the reference names none. */
  readonly namespace: string;
  readonly port: number | undefined;
}

export interface HeaderMatch {
  readonly type: string;
  /** Lower-case. */
  readonly name: string;
  readonly value: string;
}

export interface RouteMatch {
  /** `spec.rules[r].matches[m]`. */
  readonly path: string;
  /** GRPCRoute method match; undefined when the match has none. */
  readonly method:
    | { readonly type: string; readonly service: string | undefined; readonly method: string | undefined }
    | undefined;
  readonly headers: readonly HeaderMatch[];
}

export interface GatewayBackendRef extends BackendRef {
  /** `spec.rules[r].backendRefs[b]`. */
  readonly path: string;
  readonly group: string | undefined;
  readonly kind: string | undefined;
}

export interface RouteRule {
  /** `GRPCRoute ns/name rules[r]`. */
  readonly id: string;
  /** `spec.rules[r]`. */
  readonly path: string;
  readonly index: number;
  /** Empty: matches every call. */
  readonly matches: readonly RouteMatch[];
  readonly backendRefs: readonly GatewayBackendRef[];
}

/** A GRPCRoute (or an HTTPRoute's parents and backends) as typed data. */
export interface GatewayRoute {
  readonly source: PlatformObject;
  /** `GRPCRoute ns/name`. */
  readonly id: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
  readonly parents: readonly ParentRef[];
  readonly rules: readonly RouteRule[];
  /** Fields outside what the lab implements. */
  readonly problems: readonly string[];
}

export const readGatewayRoute = memo((object: PlatformObject): GatewayRoute => {
  const id = objectId(object);
  const namespace = object.metadata.namespace ?? 'default';
  const reader = new FieldReader();
  const where = `${id} spec`;
  const spec = reader.keys(object.spec, ['parentRefs', 'rules', 'hostnames'], where);
  const parents = list(spec.parentRefs).map((raw, p): ParentRef => {
    const ref = reader.keys(raw, ['group', 'kind', 'name', 'namespace', 'port'], `${where}.parentRefs[${p}]`);
    return {
      path: `spec.parentRefs[${p}]`,
      group: text(ref.group),
      kind: text(ref.kind),
      name: String(ref.name ?? ''),
      namespace: text(ref.namespace) ?? namespace,
      port: typeof ref.port === 'number' ? ref.port : undefined,
    };
  });
  const rules = list(spec.rules).map((raw, r): RouteRule => {
    const at = `${where}.rules[${r}]`;
    const rule = reader.keys(raw, ['matches', 'backendRefs'], at);
    const matches = list(rule.matches).map((rawMatch, m): RouteMatch => {
      const match = reader.keys(rawMatch, ['method', 'headers'], `${at}.matches[${m}]`);
      const method = reader.optional(
        match.method,
        ['type', 'service', 'method'],
        `${at}.matches[${m}].method`,
      );
      const methodType = text(method?.type) ?? 'Exact';
      if (method !== undefined && methodType !== 'Exact')
        reader.problems.push(`${at}.matches[${m}].method.type: ${methodType} (only Exact)`);
      const headers = list(match.headers).map((rawHeader, h): HeaderMatch => {
        const header = reader.keys(rawHeader, ['type', 'name', 'value'], `${at}.matches[${m}].headers[${h}]`);
        const type = text(header.type) ?? 'Exact';
        if (type !== 'Exact')
          reader.problems.push(`${at}.matches[${m}].headers[${h}].type: ${type} (only Exact)`);
        return { type, name: String(header.name ?? '').toLowerCase(), value: String(header.value ?? '') };
      });
      return {
        path: `spec.rules[${r}].matches[${m}]`,
        method:
          method === undefined
            ? undefined
            : { type: methodType, service: text(method.service), method: text(method.method) },
        headers,
      };
    });
    const backendRefs = list(rule.backendRefs).map((rawRef, b): GatewayBackendRef => {
      const ref = reader.keys(
        rawRef,
        ['name', 'namespace', 'port', 'group', 'kind'],
        `${at}.backendRefs[${b}]`,
      );
      return {
        path: `spec.rules[${r}].backendRefs[${b}]`,
        name: String(ref.name ?? ''),
        namespace: text(ref.namespace) ?? namespace,
        port: (ref.port ?? 80) as string | number,
        group: text(ref.group),
        kind: text(ref.kind),
      };
    });
    return { id: `${id} rules[${r}]`, path: `spec.rules[${r}]`, index: r, matches, backendRefs };
  });
  return {
    source: object,
    id,
    kind: object.kind,
    name: object.metadata.name,
    namespace,
    parents,
    rules,
    problems: reader.problems,
  };
});

export interface ReferenceGrant {
  readonly source: PlatformObject;
  readonly namespace: string;
  readonly from: ReadonlyArray<{ readonly group: string; readonly kind: string; readonly namespace: string }>;
  readonly to: ReadonlyArray<{
    readonly group: string;
    readonly kind: string;
    readonly name: string | undefined;
  }>;
}

export const readReferenceGrant = memo((object: PlatformObject): ReferenceGrant => {
  const spec = (typeof object.spec === 'object' && object.spec !== null ? object.spec : {}) as Record<
    string,
    unknown
  >;
  const field = (v: unknown, key: string) => text((v as Record<string, unknown> | null)?.[key]);
  return {
    source: object,
    namespace: object.metadata.namespace ?? 'default',
    from: list(spec.from).map((f) => ({
      group: field(f, 'group') ?? '',
      kind: field(f, 'kind') ?? '',
      namespace: field(f, 'namespace') ?? '',
    })),
    to: list(spec.to).map((t) => ({
      group: field(t, 'group') ?? '',
      kind: field(t, 'kind') ?? '',
      name: field(t, 'name'),
    })),
  };
});

/**
 * Whether a route may send to a backend: always in its own namespace; in another one only
 * when a ReferenceGrant there allows routes of its kind from its namespace to that Service.
 */
export function grantAllows(
  grants: readonly ReferenceGrant[],
  route: Pick<GatewayRoute, 'kind' | 'namespace'>,
  backend: Pick<BackendRef, 'name' | 'namespace'>,
): boolean {
  if (backend.namespace === route.namespace) return true;
  return grants.some(
    (grant) =>
      grant.namespace === backend.namespace &&
      grant.from.some(
        (f) => f.kind === route.kind && f.namespace === route.namespace && f.group === GATEWAY_GROUP,
      ) &&
      grant.to.some(
        (t) => t.kind === 'Service' && t.group === '' && (t.name === undefined || t.name === backend.name),
      ),
  );
}

// ---------------------------------------------------------------------------------------
// The mesh table (what the lab's mesh routes by): strict

interface MeshMatch {
  readonly service: string | undefined;
  readonly method: string | undefined;
  readonly headers: ReadonlyArray<{ readonly name: string; readonly value: string }>;
}

export interface MeshRule {
  /** `GRPCRoute ns/name rules[i]`. */
  readonly id: string;
  /** Creation order of the route (Gateway API breaks ties by the oldest route). */
  readonly order: number;
  readonly index: number;
  /** Empty: matches every call. */
  readonly matches: readonly MeshMatch[];
  readonly backend: BackendRef;
}

/** Rules by parent Service (`name.namespace`). */
export type MeshTable = ReadonlyMap<string, readonly MeshRule[]>;

/** Builds the mesh routing table from GRPCRoutes (Gateway API v1) attached to Services. */
export function buildMeshTable(objects: readonly PlatformObject[]): MeshTable {
  const table = new Map<string, MeshRule[]>();
  objects.forEach((object, order) => {
    if (object.kind !== 'GRPCRoute') return;
    if (object.apiVersion !== GATEWAY_API_VERSION)
      throw new UnsupportedRouteError(`${objectId(object)}: apiVersion ${object.apiVersion}`);
    const route = readGatewayRoute(object);
    const [problem] = route.problems;
    if (problem !== undefined) throw new UnsupportedRouteError(problem);
    for (const parent of route.parents) {
      if (parent.kind !== 'Service')
        throw new UnsupportedRouteError(
          `${route.id} ${parent.path}.kind: only Service parents (mesh routes)`,
        );
      const rules = route.rules.map((rule): MeshRule => {
        const [backend] = rule.backendRefs;
        if (backend === undefined || rule.backendRefs.length !== 1)
          throw new UnsupportedRouteError(
            `${route.id} ${rule.path}.backendRefs: exactly one backend is supported`,
          );
        return {
          id: rule.id,
          order,
          index: rule.index,
          matches: rule.matches.map((m) => ({
            service: m.method?.service,
            method: m.method?.method,
            headers: m.headers.map((h) => ({ name: h.name, value: h.value })),
          })),
          backend: { name: backend.name, namespace: backend.namespace, port: backend.port },
        };
      });
      const key = `${parent.name}.${parent.namespace}`;
      table.set(key, [...(table.get(key) ?? []), ...rules]);
    }
  });
  return table;
}

/** A gRPC call as the mesh sees it. */
export interface GrpcCallView {
  /** e.g. store.v1.StoreService */
  readonly service: string;
  readonly method: string;
  /** Lower-case metadata keys. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
}

function matchScore(match: MeshMatch, call: GrpcCallView): [number, number, number] | undefined {
  if (match.service !== undefined && match.service !== call.service) return undefined;
  if (match.method !== undefined && match.method !== call.method) return undefined;
  for (const h of match.headers) {
    const value = call.headers[h.name];
    if (!(Array.isArray(value) ? value.includes(h.value) : value === h.value)) return undefined;
  }
  return [match.service?.length ?? 0, match.method?.length ?? 0, match.headers.length];
}

interface MeshIndex {
  /** Rules some call without a header can match (and one catch-all): always candidates. */
  readonly general: readonly MeshRule[];
  /** Rules whose every match needs a header, under the first header of each match. */
  readonly byHeader: HeaderIndex<MeshRule>;
}

const meshIndexes = new WeakMap<readonly MeshRule[], MeshIndex>();

/** Built once per table: a lookup then costs the same with 1 or 1,000 canary routes. */
function meshIndex(rules: readonly MeshRule[]): MeshIndex {
  const cached = meshIndexes.get(rules);
  if (cached !== undefined) return cached;
  const general: MeshRule[] = [];
  const byHeader = new HeaderIndex<MeshRule>();
  // Catch-all rules (no matches) all score the same: only the oldest can ever win, so one
  // is kept however many PR routes carry their own default rule.
  let catchAll: MeshRule | undefined;
  for (const rule of rules) {
    if (rule.matches.length === 0) {
      const older =
        catchAll === undefined ||
        rule.order < catchAll.order ||
        (rule.order === catchAll.order && rule.index < catchAll.index);
      if (older) catchAll = rule;
    } else if (!rule.matches.every((m) => m.headers.length > 0)) {
      general.push(rule);
    } else {
      for (const match of rule.matches) {
        const first = match.headers[0];
        if (first !== undefined) byHeader.add(first.name, first.value, rule);
      }
    }
  }
  if (catchAll !== undefined) general.push(catchAll);
  const index = { general, byHeader };
  meshIndexes.set(rules, index);
  return index;
}

/**
 * Gateway API precedence for GRPCRoute: the matching rule with the longest service match,
 * then the longest method match, then the most header matches; then the oldest route,
 * then the first rule. undefined when no route is attached (the call goes to the parent);
 * null when routes are attached and none matches (the mesh fails the call).
 */
export function selectMeshRule(
  table: MeshTable,
  parent: string,
  call: GrpcCallView,
): MeshRule | undefined | null {
  const all = table.get(parent);
  if (all === undefined || all.length === 0) return undefined;
  const index = meshIndex(all);
  const rules = new Set([...index.general, ...index.byHeader.lookup(call.headers)]);
  let best: { rule: MeshRule; score: [number, number, number] } | undefined;
  for (const rule of rules) {
    const scores =
      rule.matches.length === 0
        ? [[0, 0, 0] as [number, number, number]]
        : rule.matches.map((m) => matchScore(m, call));
    for (const score of scores) {
      if (score === undefined) continue;
      if (best === undefined || better(score, rule, best.score, best.rule)) best = { rule, score };
    }
  }
  return best?.rule ?? null;
}

/**
 * Where a call to `parent` goes: the matching rule's backend; the parent itself when no
 * route is attached; undefined (the call fails) when routes are attached and none matches.
 */
export function routeMeshCall(
  table: MeshTable,
  parent: BackendRef,
  call: GrpcCallView,
): { readonly rule: MeshRule | undefined | null; readonly backend: BackendRef | undefined } {
  const rule = selectMeshRule(table, `${parent.name}.${parent.namespace}`, call);
  return { rule, backend: rule === undefined ? parent : (rule?.backend ?? undefined) };
}

/** Whether a rule routes by the routing key (a match on the canary metadata key). */
export const isCanaryRule = (rule: MeshRule): boolean =>
  rule.matches.some((m) => m.headers.some((h) => h.name === MESH_CANARY_KEY));

function better(
  a: [number, number, number],
  ra: MeshRule,
  b: [number, number, number],
  rb: MeshRule,
): boolean {
  for (let i = 0; i < 3; i += 1) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  if (ra.order !== rb.order) return ra.order < rb.order;
  return ra.index < rb.index;
}
