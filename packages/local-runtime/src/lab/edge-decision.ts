import {
  type EdgeRoute,
  forwardedHeaders,
  type HttpRequestView,
  outrankedRoutes,
  selectEdgeRoute,
} from 'routing-model/traefik';
import type { EdgeDecision, EdgeRequest } from './edge.ts';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/**
 * The host a Host header addresses in the lab; localhost and loopback addresses stand for
 * the API host, and `<name>.localhost` (which browsers and curl resolve to loopback) for
 * `<name>.<API host>`: `pr-123.localhost` is PR 123's preview hostname. A fully qualified
 * name (trailing dot) is the same host, as Traefik matches it.
 */
export function labHost(hostHeader: string | undefined, apiHost: string): string {
  const raw = (hostHeader ?? '').toLowerCase();
  const named = raw.startsWith('[') ? raw.slice(0, raw.indexOf(']') + 1) : (raw.split(':')[0] ?? '');
  const host = named.endsWith('.') ? named.slice(0, -1) : named;
  if (LOOPBACK.has(host)) return apiHost;
  if (host.endsWith('.localhost')) return `${host.slice(0, -'localhost'.length)}${apiHost}`;
  return host;
}

/** The route an edge table gives a request, and what the backend gets; null when none matches. */
export function decideEdge(
  table: readonly EdgeRoute[],
  request: EdgeRequest,
  apiHost: string,
): EdgeDecision | null {
  const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const view: HttpRequestView = { host: labHost(request.host, apiHost), path: request.path, headers };
  const edge = selectEdgeRoute(table, request.entryPoint, view);
  if (edge === undefined) return null;
  return {
    route: edge.id,
    rule: edge.rule,
    priority: edge.priority,
    explicitPriority: edge.explicitPriority,
    backend: edge.backend,
    middlewares: edge.middlewares.map((m) => m.name),
    outranked: outrankedRoutes(table, edge, request.entryPoint, view).map(
      (r) => `${r.id} (priority ${r.priority})`,
    ),
    forwarded: forwardedHeaders(edge, headers),
  };
}
