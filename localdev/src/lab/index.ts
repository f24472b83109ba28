export { controlFile, type LabClient, labClient, serveControl } from './control.ts';
export { type BackendRef, buildEdgeTable, type LabObject, UnsupportedRouteError } from './edge-table.ts';
export {
  type AddOptions,
  LAB_SERVICES,
  Lab,
  LabError,
  type LabOptions,
  type LabService,
  type LabStatus,
  type RouteSource,
} from './lab.ts';
