// The Traefik v3 edge as a routing provider: its rule language (the subset the manifests
// use), its default priority, the project's entrypoints, IngressRoutes and Middlewares as
// typed objects, and the router choice. The lab's edge, verify's edge rules, explain and
// the bench read Traefik through this module only.
import { BlockList, isIPv4 } from 'node:net';
import { CANARY_HEADER } from 'canary-context';
import { HeaderIndex } from './header-index.ts';
import {
  type BackendRef,
  FieldReader,
  list,
  memo,
  objectId,
  type PlatformObject,
  stringMap,
  text,
  UnsupportedRouteError,
} from './object.ts';

// ---------------------------------------------------------------------------------------
// Entrypoints (the Helm values' names)

/** The guarded entrypoint: X-Canary is honoured (office, VPN, cluster ranges only). */
export const GUARDED_ENTRYPOINT = 'internal';
/** The public HTTPS entrypoint: canary headers are stripped. */
export const PUBLIC_ENTRYPOINT = 'websecure';
/** Entrypoints reachable from the internet; anything else (e.g. `internal`) is a guarded path. */
export const PUBLIC_ENTRYPOINTS: ReadonlySet<string> = new Set(['web', PUBLIC_ENTRYPOINT]);
/** Every entrypoint the edge's Helm values define. */
export const ENTRYPOINTS = ['web', PUBLIC_ENTRYPOINT, GUARDED_ENTRYPOINT] as const;

/** The apiVersion of Traefik v3's CRDs. */
export const TRAEFIK_API_VERSION = 'traefik.io/v1alpha1';
/** Traefik v2's API group, gone in v3 (its objects are ignored). */
export const TRAEFIK_V2_API_GROUP = 'traefik.containo.us';
/** Matchers of Traefik v2's rule syntax that v3 no longer has (v3: Header, HeaderRegexp). */
export const V2_ONLY_MATCHERS: ReadonlySet<string> = new Set(['Headers', 'HeadersRegexp']);

// ---------------------------------------------------------------------------------------
// Rules

/** One matcher of the subset: Host(`h`), PathPrefix(`/p`), Path(`/p`), Header(`name`, `value`). */
export type Matcher =
  | { readonly kind: 'Host'; readonly host: string }
  | { readonly kind: 'PathPrefix'; readonly prefix: string }
  | { readonly kind: 'Path'; readonly path: string }
  | { readonly kind: 'Header'; readonly name: string; readonly value: string };

export class RuleError extends Error {
  override name = 'RuleError';
}

/** A rule as read: the matchers of the subset, and the first thing outside it (if any). */
export interface ReadRule {
  readonly matchers: readonly Matcher[];
  /** Why the rule is outside the subset (the lab refuses it); undefined when it is inside. */
  readonly problem: string | undefined;
  /** Every matcher name the rule calls, in order, inside the subset or not (e.g. v2's `Headers`). */
  readonly names: readonly string[];
}

const TERM = /^\s*([A-Za-z]+)\(\s*((?:`[^`]*`\s*,\s*)*`[^`]*`)\s*\)\s*$/;
const ANY_TERM = /\b([A-Za-z]+)\(\s*((?:`[^`]*`\s*,\s*)*`[^`]*`)\s*\)/g;
const ARITY: Readonly<Record<string, number>> = { Host: 1, PathPrefix: 1, Path: 1, Header: 2 };

function matcher(name: string, args: readonly string[]): Matcher {
  const [a = '', b = ''] = args;
  if (name === 'Host') return { kind: 'Host', host: a.toLowerCase() };
  if (name === 'PathPrefix') return { kind: 'PathPrefix', prefix: a };
  if (name === 'Path') return { kind: 'Path', path: a };
  return { kind: 'Header', name: a.toLowerCase(), value: b };
}

const argsOf = (list: string) => [...list.matchAll(/`([^`]*)`/g)].map((a) => a[1] ?? '');

/**
 * Reads a rule: terms joined by && (no ||, ! or grouping). Never throws. A rule outside
 * the subset still yields the matchers its terms spell (its hosts and headers, as written),
 * with the problem that makes the lab refuse it.
 */
export const readRule = (rule: string): ReadRule => {
  const names = [...rule.matchAll(/\b([A-Za-z]+)\(/g)].map((m) => m[1] ?? '');
  if (/\|\||!|\(\s*[A-Za-z]+\(/.test(rule)) {
    const matchers = [...rule.matchAll(ANY_TERM)].flatMap((m) => {
      const name = m[1] ?? '';
      const args = argsOf(m[2] ?? '');
      return ARITY[name] === args.length ? [matcher(name, args)] : [];
    });
    return { matchers, names, problem: `"${rule}": only && of matchers is supported (no ||, ! or grouping)` };
  }
  const matchers: Matcher[] = [];
  let problem: string | undefined;
  for (const term of rule.split('&&')) {
    const m = TERM.exec(term);
    if (m?.[1] === undefined || m[2] === undefined) {
      problem ??= `"${rule}": cannot parse "${term.trim()}"`;
      continue;
    }
    const args = argsOf(m[2]);
    const want = ARITY[m[1]];
    if (want === undefined) {
      problem ??= `"${rule}": matcher ${m[1]} is not supported by the lab (supported: Host, PathPrefix, Path, Header)`;
      continue;
    }
    if (args.length !== want) {
      problem ??= `"${rule}": ${m[1]} takes ${want} argument(s), got ${args.length}`;
      continue;
    }
    matchers.push(matcher(m[1], args));
  }
  return { matchers, names, problem };
};

/** The matchers of a rule inside the subset; RuleError for anything else (the lab never approximates). */
export function parseRule(rule: string): Matcher[] {
  const read = readRule(rule);
  if (read.problem !== undefined) throw new RuleError(read.problem);
  return [...read.matchers];
}

/** Traefik v3's default router priority: the length of the rule. The one place it is computed. */
export const defaultPriority = (rule: string): number => rule.length;

const term = (m: Matcher): string =>
  m.kind === 'Host'
    ? `Host(\`${m.host}\`)`
    : m.kind === 'PathPrefix'
      ? `PathPrefix(\`${m.prefix}\`)`
      : m.kind === 'Path'
        ? `Path(\`${m.path}\`)`
        : `Header(\`${m.name}\`, \`${m.value}\`)`;

/** Matchers written as a Traefik rule, in order. */
export const ruleText = (matchers: readonly Matcher[]): string => matchers.map(term).join(' && ');

/** A rule's matchers as one canonical string (order-insensitive), to compare what two rules match. */
export const matcherKey = (matchers: readonly Matcher[]): string => matchers.map(term).sort().join(' && ');

/** A request as the router sees it. */
export interface HttpRequestView {
  /** Host without port, lower-case. */
  readonly host: string;
  readonly path: string;
  /** Lower-case names; a repeated header is a list. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
}

function matchOne(m: Matcher, request: HttpRequestView): boolean {
  switch (m.kind) {
    case 'Host':
      return request.host === m.host;
    case 'PathPrefix':
      return request.path.startsWith(m.prefix);
    case 'Path':
      return request.path === m.path;
    case 'Header': {
      const value = request.headers[m.name];
      // Traefik compares each value of the header exactly.
      return Array.isArray(value) ? value.includes(m.value) : value === m.value;
    }
  }
}

export function matches(matchers: readonly Matcher[], request: HttpRequestView): boolean {
  return matchers.every((m) => matchOne(m, request));
}

// ---------------------------------------------------------------------------------------
// Middlewares

export interface HeaderChanges {
  /** Headers set (lower-case name → value). */
  readonly set: Readonly<Record<string, string>>;
  /** Headers removed (Traefik: a custom header with an empty value), lower-case. */
  readonly remove: readonly string[];
}

export interface Middleware {
  readonly source: PlatformObject;
  /** `Middleware ns/name`. */
  readonly id: string;
  readonly name: string;
  readonly namespace: string;
  /** `headers`: customRequestHeaders / customResponseHeaders. */
  readonly headers: { readonly request: HeaderChanges; readonly response: HeaderChanges } | undefined;
  /** `ipAllowList.sourceRange`, as written. */
  readonly ipAllowList: readonly string[] | undefined;
  /** A `forwardAuth` guard is declared (the lab does not run it). */
  readonly forwardAuth: boolean;
  /** Fields outside what the lab implements. */
  readonly problems: readonly string[];
}

function headerChanges(custom: Record<string, string>): HeaderChanges {
  // Traefik: an empty value removes the header, any other sets it.
  const entries = Object.entries(custom);
  return {
    set: Object.fromEntries(entries.filter(([, v]) => v !== '').map(([k, v]) => [k.toLowerCase(), v])),
    remove: entries.filter(([, v]) => v === '').map(([k]) => k.toLowerCase()),
  };
}

export const readMiddleware = memo((object: PlatformObject): Middleware => {
  const id = objectId(object);
  const reader = new FieldReader();
  const where = `${id} spec`;
  const spec = reader.keys(object.spec, ['headers', 'ipAllowList'], where);
  const headers = reader.optional(
    spec.headers,
    ['customRequestHeaders', 'customResponseHeaders'],
    `${where}.headers`,
  );
  const allow = reader.optional(spec.ipAllowList, ['sourceRange'], `${where}.ipAllowList`);
  if (headers === undefined && allow === undefined && reader.problems.length === 0)
    reader.problems.push(`${where}: empty middleware`);
  return {
    source: object,
    id,
    name: object.metadata.name,
    namespace: object.metadata.namespace ?? 'default',
    headers:
      headers === undefined
        ? undefined
        : {
            request: headerChanges(stringMap(headers.customRequestHeaders)),
            response: headerChanges(stringMap(headers.customResponseHeaders)),
          },
    ipAllowList:
      allow === undefined ? undefined : list(allow.sourceRange).filter((r) => typeof r === 'string'),
    forwardAuth: spec.forwardAuth !== undefined,
    problems: reader.problems,
  };
});

// ---------------------------------------------------------------------------------------
// IngressRoutes

export interface MiddlewareRef {
  readonly name: string;
  /** Resolved: the route's namespace when the reference names none. */
  readonly namespace: string;
}

export interface TraefikRoute {
  /** `IngressRoute ns/name routes[i]`. */
  readonly id: string;
  /** `spec.routes[i]` (for findings). */
  readonly path: string;
  readonly index: number;
  readonly rule: string;
  readonly read: ReadRule;
  /** The rule's Host() values (lower-case). */
  readonly hosts: readonly string[];
  /** Explicit priority, or Traefik's default (the rule's length). */
  readonly priority: number;
  readonly explicitPriority: boolean;
  readonly kind: string | undefined;
  readonly middlewares: readonly MiddlewareRef[];
  readonly services: ReadonlyArray<BackendRef & { readonly kind: string | undefined }>;
}

export interface IngressRoute {
  readonly source: PlatformObject;
  /** `IngressRoute ns/name`. */
  readonly id: string;
  readonly name: string;
  readonly namespace: string;
  /** As written; [] means every entrypoint (the public ones included). */
  readonly entryPoints: readonly string[];
  readonly routes: readonly TraefikRoute[];
  readonly problems: readonly string[];
}

export const readIngressRoute = memo((object: PlatformObject): IngressRoute => {
  const id = objectId(object);
  const namespace = object.metadata.namespace ?? 'default';
  const reader = new FieldReader();
  const where = `${id} spec`;
  const spec = reader.keys(object.spec, ['entryPoints', 'routes', 'tls'], where);
  const routes = list(spec.routes).map((raw, i): TraefikRoute => {
    const path = `spec.routes[${i}]`;
    const route = reader.keys(
      raw,
      ['kind', 'match', 'priority', 'middlewares', 'services'],
      `${where}.routes[${i}]`,
    );
    const rule = text(route.match) ?? '';
    const read = readRule(rule);
    const explicitPriority = typeof route.priority === 'number';
    return {
      id: `${id} routes[${i}]`,
      path,
      index: i,
      rule,
      read,
      hosts: read.matchers.flatMap((m) => (m.kind === 'Host' ? [m.host] : [])),
      priority: typeof route.priority === 'number' ? route.priority : defaultPriority(rule),
      explicitPriority,
      kind: text(route.kind),
      middlewares: list(route.middlewares).map((ref) => ({
        name: String((ref as { name?: unknown }).name ?? ''),
        namespace: text((ref as { namespace?: unknown }).namespace) ?? namespace,
      })),
      services: list(route.services).map((s, k) => {
        const service = reader.keys(
          s,
          ['name', 'namespace', 'port', 'kind'],
          `${where}.routes[${i}].services[${k}]`,
        );
        return {
          name: String(service.name ?? ''),
          namespace: text(service.namespace) ?? namespace,
          port: (service.port ?? 80) as string | number,
          kind: text(service.kind),
        };
      }),
    };
  });
  return {
    source: object,
    id,
    name: object.metadata.name,
    namespace,
    entryPoints: list(spec.entryPoints).filter((e): e is string => typeof e === 'string'),
    routes,
    problems: reader.problems,
  };
});

/** The rule's Header() matchers. */
export const headerMatchers = (route: TraefikRoute) =>
  route.read.matchers.filter((m): m is Extract<Matcher, { kind: 'Header' }> => m.kind === 'Header');

/** A canary route: its rule matches the routing key header (X-Canary). */
export const isCanaryRoute = (route: TraefikRoute): boolean =>
  headerMatchers(route).some((h) => h.name === CANARY_HEADER);

/** The route's matchers other than Header() (what it matches besides headers). */
export const besidesHeaders = (route: TraefikRoute): Matcher[] =>
  route.read.matchers.filter((m) => m.kind !== 'Header');

/** Whether the route is served on an entrypoint reachable from the internet (none listed: every one). */
export const onPublicEntrypoint = (ingress: IngressRoute): boolean =>
  ingress.entryPoints.length === 0 || ingress.entryPoints.some((e) => PUBLIC_ENTRYPOINTS.has(e));

// ---------------------------------------------------------------------------------------
// The edge table (what the lab's edge routes by): strict, every unsupported field refused

export type EdgeMiddleware =
  | {
      readonly kind: 'headers';
      readonly name: string;
      readonly set: Readonly<Record<string, string>>;
      readonly remove: readonly string[];
      /** customResponseHeaders: set on, or (empty value) removed from, the answer. */
      readonly setResponse: Readonly<Record<string, string>>;
      readonly removeResponse: readonly string[];
    }
  | {
      readonly kind: 'ipAllowList';
      readonly name: string;
      readonly ranges: readonly string[];
      readonly allow: BlockList;
    };

export interface EdgeRoute {
  /** `IngressRoute ns/name routes[i]`, for status, errors and explain. */
  readonly id: string;
  readonly entryPoints: readonly string[];
  readonly rule: string;
  readonly matchers: readonly Matcher[];
  readonly priority: number;
  readonly explicitPriority: boolean;
  readonly middlewares: readonly EdgeMiddleware[];
  readonly backend: BackendRef;
}

function edgeMiddleware(mw: Middleware): EdgeMiddleware {
  const [problem] = mw.problems;
  if (problem !== undefined) throw new UnsupportedRouteError(problem);
  if (mw.headers !== undefined)
    return {
      kind: 'headers',
      name: mw.id,
      set: mw.headers.request.set,
      remove: mw.headers.request.remove,
      setResponse: mw.headers.response.set,
      removeResponse: mw.headers.response.remove,
    };
  const ranges = mw.ipAllowList ?? [];
  const allow = new BlockList();
  for (const range of ranges) {
    const [address = '', bits] = range.split('/');
    const type = isIPv4(address) ? 'ipv4' : 'ipv6';
    if (bits === undefined) allow.addAddress(address, type);
    else allow.addSubnet(address, Number(bits), type);
  }
  return { kind: 'ipAllowList', name: mw.id, ranges, allow };
}

/**
 * The edge routing table from IngressRoutes and the Middlewares they use, as the manifests
 * render them. Every field the lab does not implement is an UnsupportedRouteError naming
 * the object and field.
 */
export function buildEdgeTable(objects: readonly PlatformObject[]): EdgeRoute[] {
  const middlewares = new Map<string, PlatformObject>();
  for (const o of objects) {
    if (o.kind === 'Middleware') middlewares.set(`${o.metadata.namespace}/${o.metadata.name}`, o);
  }
  const table: EdgeRoute[] = [];
  for (const object of objects) {
    if (object.kind !== 'IngressRoute') continue;
    if (object.apiVersion !== TRAEFIK_API_VERSION)
      throw new UnsupportedRouteError(
        `${objectId(object)}: apiVersion ${object.apiVersion} (Traefik v3 uses ${TRAEFIK_API_VERSION})`,
      );
    const ingress = readIngressRoute(object);
    const [problem] = ingress.problems;
    if (problem !== undefined) throw new UnsupportedRouteError(problem);
    if (ingress.entryPoints.length === 0)
      throw new UnsupportedRouteError(`${ingress.id} spec.entryPoints: required by the lab`);
    for (const route of ingress.routes) {
      const at = `${ingress.id} ${route.path}`;
      if (route.kind !== undefined && route.kind !== 'Rule')
        throw new UnsupportedRouteError(`${at}.kind: ${route.kind}`);
      if (route.read.problem !== undefined)
        throw new UnsupportedRouteError(`${at}.match: ${route.read.problem}`);
      const [service] = route.services;
      if (service === undefined || route.services.length !== 1)
        throw new UnsupportedRouteError(`${at}.services: exactly one service is supported`);
      if (service.kind !== undefined && service.kind !== 'Service')
        throw new UnsupportedRouteError(`${at}.services[0].kind: ${service.kind}`);
      const mws = route.middlewares.map((ref, m) => {
        const found = middlewares.get(`${ref.namespace}/${ref.name}`);
        if (found === undefined)
          throw new UnsupportedRouteError(
            `${at}.middlewares[${m}]: Middleware ${ref.namespace}/${ref.name} not found`,
          );
        return edgeMiddleware(readMiddleware(found));
      });
      table.push({
        id: route.id,
        entryPoints: ingress.entryPoints,
        rule: route.rule,
        matchers: route.read.matchers,
        priority: route.priority,
        explicitPriority: route.explicitPriority,
        middlewares: mws,
        backend: { name: service.name, namespace: service.namespace, port: service.port },
      });
    }
  }
  return table;
}

interface EdgeIndex {
  /** Routes without a Header matcher: always candidates (with their table position). */
  readonly general: ReadonlyArray<[number, EdgeRoute]>;
  /** Routes with a Header matcher, under their first one. */
  readonly byHeader: HeaderIndex<[number, EdgeRoute]>;
}

const edgeIndexes = new WeakMap<readonly EdgeRoute[], EdgeIndex>();

/** Built once per table: a lookup then costs the same with 1 or 1,000 canary routes. */
function edgeIndex(table: readonly EdgeRoute[]): EdgeIndex {
  const cached = edgeIndexes.get(table);
  if (cached !== undefined) return cached;
  const index = {
    general: [] as Array<[number, EdgeRoute]>,
    byHeader: new HeaderIndex<[number, EdgeRoute]>(),
  };
  table.forEach((route, position) => {
    const header = route.matchers.find((m) => m.kind === 'Header');
    if (header?.kind === 'Header') index.byHeader.add(header.name, header.value, [position, route]);
    else index.general.push([position, route]);
  });
  edgeIndexes.set(table, index);
  return index;
}

/**
 * Traefik's choice: the highest-priority route of this entrypoint whose rule matches
 * (the earlier route in the table on a tie).
 */
export function selectEdgeRoute(
  table: readonly EdgeRoute[],
  entryPoint: string,
  request: HttpRequestView,
): EdgeRoute | undefined {
  const index = edgeIndex(table);
  const candidates = [...index.general, ...index.byHeader.lookup(request.headers)];
  let best: [number, EdgeRoute] | undefined;
  for (const candidate of candidates) {
    const [position, route] = candidate;
    if (!route.entryPoints.includes(entryPoint) || !matches(route.matchers, request)) continue;
    if (
      best === undefined ||
      route.priority > best[1].priority ||
      (route.priority === best[1].priority && position < best[0])
    ) {
      best = candidate;
    }
  }
  return best?.[1];
}

/** Every route of this entrypoint that matches the request but `chosen` (what it outranks). */
export function outrankedRoutes(
  table: readonly EdgeRoute[],
  chosen: EdgeRoute,
  entryPoint: string,
  request: HttpRequestView,
): EdgeRoute[] {
  return table.filter(
    (r) =>
      r !== chosen &&
      r.entryPoints.includes(entryPoint) &&
      r.matchers.length > 0 &&
      matches(r.matchers, request),
  );
}

/** The request headers after a route's middlewares (removals, then values set). */
export function forwardedHeaders(
  route: EdgeRoute,
  headers: Readonly<Record<string, string>>,
): Record<string, string> {
  const out: Record<string, string> = { ...headers };
  for (const mw of route.middlewares) {
    if (mw.kind !== 'headers') continue;
    for (const name of mw.remove) delete out[name];
    Object.assign(out, mw.set);
  }
  return out;
}
