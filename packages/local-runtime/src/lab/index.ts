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
export { type BackendRef, buildEdgeTable, type LabObject, UnsupportedRouteError } from './edge-table.ts';
export { type AddOptions, Lab, LabError, type LabOptions, type LabStatus, type RouteSource } from './lab.ts';
export {
  forgetLabProcessEnv,
  LAB_NODE_FLAGS,
  labProcessEnv,
  missingLabNodeFlags,
} from './node-flags.ts';
export type { ExplainRequest, Explanation, MeshHop } from './routers.ts';
export { reapStaleLab, type StaleLab, stateFile } from './state.ts';
