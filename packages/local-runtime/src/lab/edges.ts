import { join } from 'node:path';
import { repoRoot } from '../paths.ts';
import type { EdgeKind, LabEdgeFactory } from './edge.ts';
import { EmulatedEdge } from './emulated-edge.ts';
import { TraefikEdge } from './traefik-edge.ts';

/** Where the real Traefik edge keeps its dynamic configuration and log. */
export const TRAEFIK_EDGE_DIR = join(repoRoot, '.lab', 'traefik');

/**
 * The edge implementations the lab can run: its own emulation of Traefik, and real
 * Traefik (built from its Go module on first use) as a child process fed by its file
 * provider.
 */
const FACTORIES: Readonly<Record<EdgeKind, LabEdgeFactory>> = {
  emulated: (options) => new EmulatedEdge(options),
  traefik: (options) => new TraefikEdge(options, TRAEFIK_EDGE_DIR),
};

export function edgeFactory(kind: EdgeKind): LabEdgeFactory {
  return FACTORIES[kind];
}
