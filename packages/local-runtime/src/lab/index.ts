export {
  type BackendRef,
  /** The lab's input: rendered objects (routing-model's PlatformObject). */
  type PlatformObject as LabObject,
  type PlatformObject,
  UnsupportedRouteError,
} from 'routing-model';
export { CONTROL_SECRET_HEADER, controlFile, type LabClient, labClient, serveControl } from './control.ts';
export {
  EDGE_KINDS,
  type EdgeDecision,
  type EdgeKind,
  type EdgeOptions,
  type EdgeRequest,
  type LabEdge,
  type LabEdgeFactory,
  type LabMesh,
  type MeshDecision,
} from './edge.ts';
export { edgeFactory, TRAEFIK_EDGE_DIR } from './edges.ts';
export { type AddOptions, Lab, LabError, type LabOptions, type LabStatus, type RouteSource } from './lab.ts';
export {
  CANARY_PROFILE_FILE,
  type CanaryProfile,
  type CanaryRun,
  canaryProfile,
  canaryRun,
  forgetLabProcessEnv,
  LAB_NODE_FLAGS,
  labProcessEnv,
  missingLabNodeFlags,
} from './node-flags.ts';
export type { ExplainRequest, Explanation, MeshHop } from './routers.ts';
export { reapStaleLab, type StaleLab, stateFile } from './state.ts';
export { type DynamicConfig, dynamicConfig, TraefikEdge, withLoopbackAliases } from './traefik-edge.ts';
export { removeLeftoverWorktrees } from './worktree.ts';
