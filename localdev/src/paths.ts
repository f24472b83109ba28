import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is localdev/src/paths.ts). */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Where the lab's embedded store keeps its data between runs. */
export const DEFAULT_DATA_DIR = join(repoRoot, '.data', 'dynalite');

/** Entry points of the services, relative to a checkout's root. */
export const serviceEntries = {
  'store-service': 'store-service/src/main.ts',
  'api-service': 'api-service/src/main.ts',
} as const;

export type ServiceName = keyof typeof serviceEntries;

/** Loaded with --import before every service: OpenTelemetry, before the app's modules. */
export const TELEMETRY_REGISTER = 'packages/service-kit/src/telemetry/register.ts';
