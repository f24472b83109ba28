import { authEnv, booleanFlag, ConfigError, identityEnv, parseEnv, port } from 'service-kit';
import { z } from 'zod';

const shape = {
  ...identityEnv,
  PORT: port(8080),
  BIND_HOST: z.string().default('0.0.0.0'),
  /** The store as pods reach it: through the mesh, by the stable Service in `apps`. */
  STORE_ADDRESS: z
    .string()
    .regex(/^[A-Za-z0-9.-]+:[0-9]{1,5}$/, 'must be host:port')
    .default('store-service.apps.svc.cluster.local:8080'),
  /** Deadline of every store call, and of the readiness check. */
  STORE_DEADLINE_MS: z.coerce.number().int().min(50).max(60_000).default(2000),
  READY_DEADLINE_MS: z.coerce.number().int().min(50).max(10_000).default(1000),
  /**
   * Browser origins allowed to call the api (comma-separated, exact, e.g.
   * `https://shop.example.com`). Empty (the default): no cross-origin access at all.
   */
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((o) => o.trim())
        .filter((o) => o !== ''),
    )
    .pipe(
      z.array(
        z
          .url({ protocol: /^https?$/ })
          .refine((o) => new URL(o).origin === o, 'must be an origin: scheme://host[:port]'),
      ),
    ),
  SHUTDOWN_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  /**
   * Deliberate faults for a canary's verdict to be seen failing (the lab's `lab add
   * --fault-delay-ms/--fault-error-ratio`); off by default, never set in the manifests.
   */
  FAULT_DELAY_MS: z.coerce.number().int().min(0).max(10_000).default(0),
  FAULT_ERROR_RATIO: z.coerce.number().min(0).max(1).default(0),
  /**
   * Authentication: JWTs from this issuer's JWKS, with lifetime limits (service-kit's
   * authEnv, shared with the store). AUTH_JWKS_URL is required (empty counts as unset)
   * unless AUTH_DEV_TRUST_HEADERS is set.
   */
  ...authEnv,
  /**
   * A developer's own process only: without AUTH_JWKS_URL, trust X-Tenant-ID and X-User-ID
   * from whoever reaches the api (said at start). Never set by the manifests or the lab,
   * whose every api has an issuer; tests and the bench set it for the api processes they
   * start without one. Ignored when AUTH_JWKS_URL is set.
   */
  AUTH_DEV_TRUST_HEADERS: booleanFlag(false),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(20_000),
};

export type ApiConfig = ReturnType<typeof loadApiConfig>;

export function loadApiConfig(env: NodeJS.ProcessEnv = process.env) {
  const config = parseEnv(shape, env);
  // An api that cannot verify tokens must not start by accident (an issuer setting left
  // empty): serving any tenant to anyone takes the explicit switch.
  if (config.AUTH_JWKS_URL === undefined && !config.AUTH_DEV_TRUST_HEADERS)
    throw new ConfigError(
      "invalid configuration:\n  AUTH_JWKS_URL: is required (the issuer's JWKS); only a developer's own process may run without authentication, with AUTH_DEV_TRUST_HEADERS=true",
    );
  return config;
}
