// The lab's routing tables without the routers: what the bench measures and tools inspect.

export type { BackendResolver } from './backends.ts';
export { buildEdgeTable, type EdgeRoute, type LabObject, selectEdgeRoute } from './edge-table.ts';
export { buildMeshTable, type MeshTable, selectMeshRule } from './mesh-table.ts';
export { Routers } from './routers.ts';
