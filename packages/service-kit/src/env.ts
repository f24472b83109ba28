import { isValidTrack } from 'canary-context';
import { z } from 'zod';

/** A configuration error that names every bad variable; the entry point prints it and exits 1. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** A TCP port; 0 asks the OS for a free one (used by tests and the lab). */
export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

export const booleanFlag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1');

/** Variables every service reads: who it is (shown in X-Served-By, logs, metrics) and how it logs. */
export const identityEnv = {
  DEPLOYMENT_TRACK: z
    .string()
    .default('stable')
    .refine(isValidTrack, { message: 'must be "stable" or "pr-<N>" (N a PR number)' }),
  APP_VERSION: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/, 'must be an image tag or version (letters, digits, . _ + -)')
    .default('dev'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  METRICS_PORT: port(9090),
};

/**
 * Parses the environment once, at boot, into a frozen typed object. Every problem is
 * reported in one error naming the variable, e.g. `PORT: expected a number, got "abc"`.
 */
export function parseEnv<S extends z.ZodRawShape>(
  shape: S,
  env: NodeJS.ProcessEnv,
): Readonly<z.infer<z.ZodObject<S>>> {
  // Empty strings count as unset, as in most deployment tools.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = z.object(shape).safeParse(present);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const name = issue.path.join('.');
      const got = present[name];
      return `  ${name}: ${issue.message}${got === undefined ? '' : `, got ${JSON.stringify(got)}`}`;
    });
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return Object.freeze(result.data);
}
