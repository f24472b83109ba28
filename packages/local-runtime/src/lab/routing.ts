// The lab's routers without the lab: what the bench's router comparison runs. The routing
// tables themselves are the routing-model package's (routing-model/traefik, routing-model/mesh).

export type { BackendResolver } from './backends.ts';
export { Routers } from './routers.ts';
