import { BlockList, isIPv4 } from 'node:net';
import { UnsupportedRouteError } from './errors.ts';
import { onlyKeys } from './fields.ts';
import { HeaderIndex } from './header-index.ts';
import { type HttpRequestView, type Matcher, matches, parseRule, RuleError } from './traefik-rule.ts';

/** A Kubernetes object as the lab reads it. */
export interface LabObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly spec?: unknown;
}

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

export interface BackendRef {
  readonly name: string;
  readonly namespace: string;
  readonly port: string | number;
}

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

export { UnsupportedRouteError };

const objectName = (o: LabObject) => `${o.kind} ${o.metadata.namespace ?? 'default'}/${o.metadata.name}`;

function buildMiddleware(object: LabObject): EdgeMiddleware {
  const where = `${objectName(object)} spec`;
  const spec = onlyKeys(object.spec, ['headers', 'ipAllowList'], where);
  if (spec.headers !== undefined) {
    const headers = onlyKeys(
      spec.headers,
      ['customRequestHeaders', 'customResponseHeaders'],
      `${where}.headers`,
    );
    // Traefik: an empty value removes the header, any other sets it.
    const split = (custom: Record<string, string>) => ({
      set: Object.fromEntries(
        Object.entries(custom)
          .filter(([, v]) => v !== '')
          .map(([k, v]) => [k.toLowerCase(), v]),
      ),
      remove: Object.entries(custom)
        .filter(([, v]) => v === '')
        .map(([k]) => k.toLowerCase()),
    });
    const request = split((headers.customRequestHeaders ?? {}) as Record<string, string>);
    const response = split((headers.customResponseHeaders ?? {}) as Record<string, string>);
    return {
      kind: 'headers',
      name: objectName(object),
      ...request,
      setResponse: response.set,
      removeResponse: response.remove,
    };
  }
  if (spec.ipAllowList !== undefined) {
    const list = onlyKeys(spec.ipAllowList, ['sourceRange'], `${where}.ipAllowList`);
    const ranges = (list.sourceRange ?? []) as string[];
    const allow = new BlockList();
    for (const range of ranges) {
      const [address = '', bits] = range.split('/');
      const type = isIPv4(address) ? 'ipv4' : 'ipv6';
      if (bits === undefined) allow.addAddress(address, type);
      else allow.addSubnet(address, Number(bits), type);
    }
    return { kind: 'ipAllowList', name: objectName(object), ranges, allow };
  }
  throw new UnsupportedRouteError(`${where}: empty middleware`);
}

/**
 * Builds the edge routing table from IngressRoutes and the Middlewares they use, as the
 * manifests render them. Every field the lab does not implement is an error naming the
 * object and field.
 */
export function buildEdgeTable(objects: readonly LabObject[]): EdgeRoute[] {
  const middlewares = new Map<string, LabObject>();
  for (const o of objects) {
    if (o.kind === 'Middleware') middlewares.set(`${o.metadata.namespace}/${o.metadata.name}`, o);
  }
  const routes: EdgeRoute[] = [];
  for (const object of objects) {
    if (object.kind !== 'IngressRoute') continue;
    if (object.apiVersion !== 'traefik.io/v1alpha1') {
      throw new UnsupportedRouteError(
        `${objectName(object)}: apiVersion ${object.apiVersion} (Traefik v3 uses traefik.io/v1alpha1)`,
      );
    }
    const where = `${objectName(object)} spec`;
    const spec = onlyKeys(object.spec, ['entryPoints', 'routes', 'tls'], where);
    const entryPoints = (spec.entryPoints ?? []) as string[];
    if (entryPoints.length === 0)
      throw new UnsupportedRouteError(`${where}.entryPoints: required by the lab`);
    ((spec.routes ?? []) as unknown[]).forEach((raw, i) => {
      const at = `${where}.routes[${i}]`;
      const route = onlyKeys(raw, ['kind', 'match', 'priority', 'middlewares', 'services'], at);
      if (route.kind !== undefined && route.kind !== 'Rule')
        throw new UnsupportedRouteError(`${at}.kind: ${String(route.kind)}`);
      const rule = String(route.match ?? '');
      let matchers: Matcher[];
      try {
        matchers = parseRule(rule);
      } catch (err) {
        if (err instanceof RuleError) throw new UnsupportedRouteError(`${at}.match: ${err.message}`);
        throw err;
      }
      const services = (route.services ?? []) as unknown[];
      if (services.length !== 1)
        throw new UnsupportedRouteError(`${at}.services: exactly one service is supported`);
      const service = onlyKeys(services[0], ['name', 'namespace', 'port', 'kind'], `${at}.services[0]`);
      if (service.kind !== undefined && service.kind !== 'Service') {
        throw new UnsupportedRouteError(`${at}.services[0].kind: ${String(service.kind)}`);
      }
      const mws = ((route.middlewares ?? []) as Array<{ name: string; namespace?: string }>).map((ref, m) => {
        const key = `${ref.namespace ?? object.metadata.namespace}/${ref.name}`;
        const found = middlewares.get(key);
        if (found === undefined)
          throw new UnsupportedRouteError(`${at}.middlewares[${m}]: Middleware ${key} not found`);
        return buildMiddleware(found);
      });
      routes.push({
        id: `${objectName(object)} routes[${i}]`,
        entryPoints,
        rule,
        matchers,
        priority: typeof route.priority === 'number' ? route.priority : rule.length,
        explicitPriority: typeof route.priority === 'number',
        middlewares: mws,
        backend: {
          name: String(service.name),
          namespace: String(service.namespace ?? object.metadata.namespace),
          port: (service.port ?? 80) as string | number,
        },
      });
    });
  }
  return routes;
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
