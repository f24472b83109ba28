import type { EdgeKind, LabEdgeFactory } from './edge.ts';
import { EmulatedEdge } from './emulated-edge.ts';

/**
 * The edge implementations the lab can run. `traefik` (real Traefik as a child process,
 * issue 23) plugs in here as its factory; until it does, choosing it is an error that
 * says so rather than a quiet fallback to the emulation.
 */
const FACTORIES: Readonly<Record<EdgeKind, LabEdgeFactory | undefined>> = {
  emulated: (options) => new EmulatedEdge(options),
  traefik: undefined,
};

export class EdgeUnavailableError extends Error {
  override name = 'EdgeUnavailableError';
}

export function edgeFactory(kind: EdgeKind): LabEdgeFactory {
  const factory = FACTORIES[kind];
  if (factory === undefined)
    throw new EdgeUnavailableError(`the ${kind} edge is not available in this lab (available: emulated)`);
  return factory;
}
