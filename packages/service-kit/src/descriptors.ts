import { fileURLToPath } from 'node:url';

// Every asset path of the workspaces is `../descriptor/<file>` from a module directly in
// `src/`, so a bundle in `<service>/dist/` finds the same files in `<service>/descriptor/`
// (scripts/build-services.mjs copies them there).

/** grpc.health.v1 and grpc.reflection.v1/v1alpha as buf compiled them (`npm run generate -w service-kit`). */
export const HEALTH_DESCRIPTOR_SET = fileURLToPath(
  new URL('../descriptor/grpc-health.binpb', import.meta.url),
);
export const REFLECTION_DESCRIPTOR_SET = fileURLToPath(
  new URL('../descriptor/grpc-reflection.binpb', import.meta.url),
);
