import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is packages/local-runtime/src/paths.ts). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Where the lab's embedded store keeps its data between runs. Versioned with the table
 * layout: v2 added the status index, which dynalite cannot add to an existing table (data
 * of an older lab stays in .data/dynalite, unused).
 */
export const DEFAULT_DATA_DIR = join(repoRoot, '.data', 'dynalite-v2');

/** Loaded with --import before every service: OpenTelemetry, before the app's modules. */
export const TELEMETRY_REGISTER = 'packages/service-kit/src/telemetry/register.ts';

/** Loaded with --import into every process this package starts: it stops when its starter dies. */
export const PARENT_WATCH = fileURLToPath(new URL('./parent-watch.js', import.meta.url));
