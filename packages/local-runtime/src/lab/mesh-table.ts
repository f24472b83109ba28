import type { BackendRef, LabObject } from './edge-table.ts';
import { UnsupportedRouteError } from './errors.ts';
import { onlyKeys } from './fields.ts';
import { HeaderIndex } from './header-index.ts';

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
export function buildMeshTable(routes: readonly LabObject[]): MeshTable {
  const table = new Map<string, MeshRule[]>();
  routes.forEach((object, order) => {
    if (object.kind !== 'GRPCRoute') return;
    const name = `GRPCRoute ${object.metadata.namespace}/${object.metadata.name}`;
    if (object.apiVersion !== 'gateway.networking.k8s.io/v1')
      throw new UnsupportedRouteError(`${name}: apiVersion ${object.apiVersion}`);
    const spec = onlyKeys(object.spec, ['parentRefs', 'rules', 'hostnames'], `${name} spec`);
    for (const [p, raw] of ((spec.parentRefs ?? []) as unknown[]).entries()) {
      const parent = onlyKeys(
        raw,
        ['group', 'kind', 'name', 'namespace', 'port'],
        `${name} spec.parentRefs[${p}]`,
      );
      if (parent.kind !== 'Service')
        throw new UnsupportedRouteError(
          `${name} spec.parentRefs[${p}].kind: only Service parents (mesh routes)`,
        );
      const key = `${String(parent.name)}.${String(parent.namespace ?? object.metadata.namespace)}`;
      const rules = ((spec.rules ?? []) as unknown[]).map((rawRule, r): MeshRule => {
        const at = `${name} spec.rules[${r}]`;
        const rule = onlyKeys(rawRule, ['matches', 'backendRefs'], at);
        const backends = (rule.backendRefs ?? []) as unknown[];
        if (backends.length !== 1)
          throw new UnsupportedRouteError(`${at}.backendRefs: exactly one backend is supported`);
        const b = onlyKeys(
          backends[0],
          ['name', 'namespace', 'port', 'group', 'kind'],
          `${at}.backendRefs[0]`,
        );
        const matches = ((rule.matches ?? []) as unknown[]).map((rawMatch, m) => {
          const mat = onlyKeys(rawMatch, ['method', 'headers'], `${at}.matches[${m}]`);
          const method =
            mat.method === undefined
              ? undefined
              : onlyKeys(mat.method, ['type', 'service', 'method'], `${at}.matches[${m}].method`);
          if (method !== undefined && (method.type ?? 'Exact') !== 'Exact') {
            throw new UnsupportedRouteError(
              `${at}.matches[${m}].method.type: ${String(method.type)} (only Exact)`,
            );
          }
          const headers = ((mat.headers ?? []) as unknown[]).map((rawHeader, h) => {
            const header = onlyKeys(
              rawHeader,
              ['type', 'name', 'value'],
              `${at}.matches[${m}].headers[${h}]`,
            );
            if ((header.type ?? 'Exact') !== 'Exact') {
              throw new UnsupportedRouteError(
                `${at}.matches[${m}].headers[${h}].type: ${String(header.type)} (only Exact)`,
              );
            }
            return { name: String(header.name).toLowerCase(), value: String(header.value) };
          });
          return {
            service: method?.service as string | undefined,
            method: method?.method as string | undefined,
            headers,
          };
        });
        return {
          id: `${name} rules[${r}]`,
          order,
          index: r,
          matches,
          backend: {
            name: String(b.name),
            namespace: String(b.namespace ?? object.metadata.namespace),
            port: (b.port ?? 80) as number,
          },
        };
      });
      table.set(key, [...(table.get(key) ?? []), ...rules]);
    }
  });
  return table;
}

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

/**
 * Gateway API precedence for GRPCRoute: the matching rule with the longest service match,
 * then the longest method match, then the most header matches; then the oldest route,
 * then the first rule. undefined when no route is attached (the call goes to the parent).
 */
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
  // Routes are attached but none matches: the mesh fails the call (no implicit fallback).
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
