import {
  type EdgeRoute,
  forwardedHeaders,
  type HttpRequestView,
  outrankedRoutes,
  selectEdgeRoute,
} from 'routing-model/traefik';
import type { EdgeDecision, EdgeRequest } from './edge.ts';
import { hostFromLoopback } from './loopback-host.ts';

/** The route an edge table gives a request, and what the backend gets; null when none matches. */
export function decideEdge(
  table: readonly EdgeRoute[],
  request: EdgeRequest,
  apiHost: string,
): EdgeDecision | null {
  const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const view: HttpRequestView = {
    host: hostFromLoopback(request.host, apiHost),
    path: request.path,
    headers,
  };
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
