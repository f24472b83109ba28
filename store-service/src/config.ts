import { authEnv, booleanFlag, ConfigError, identityEnv, parseEnv, port } from 'service-kit';
import { z } from 'zod';
import { DEFAULT_LIST_BUDGET } from './domain/items.ts';

const shape = {
  ...identityEnv,
  PORT: port(8080),
  /**
   * A second gRPC listener that serves grpc.health.v1 only, for the kubelet's probes. In the
   * cluster Linkerd admits only the api's identities to PORT (policy.linkerd.io Server), and
   * it authorizes the kubelet automatically for HTTP probes only, not gRPC ones; this port
   * has no Server, so probes reach it. Unset: no second listener (the lab, tests).
   */
  HEALTH_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  BIND_HOST: z.string().default('0.0.0.0'),
  TABLE_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{3,255}$/, 'must be a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)')
    .default('store-items'),
  /**
   * Where items live: DynamoDB (default), or this process's memory (nothing persists, each
   * replica has its own items): for the benchmark's request path without a database.
   */
  STORE_BACKEND: z.enum(['dynamodb', 'memory']).default('dynamodb'),
  /** Set for DynamoDB Local or the lab's embedded store; unset in AWS. */
  DYNAMODB_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  AWS_REGION: z.string().default('us-east-1'),
  /** Create the table (and its index) at start when missing: DynamoDB Local and the lab only. */
  DYNAMODB_CREATE_TABLE: booleanFlag(false),
  /** Per-attempt timeout of one DynamoDB request, and attempts per operation (with backoff). */
  DYNAMODB_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(2000),
  DYNAMODB_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
  /**
   * Keys that seal page tokens: base64 of 32 random bytes each, comma-separated; the first
   * seals, all open (rotation). Every replica needs the same keys (a Secret). Unset: a key
   * of this process only, and a token is good on this replica until it restarts.
   */
  PAGE_TOKEN_KEYS: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=(,[A-Za-z0-9+/]{43}=)*$/, 'must be base64 32-byte keys, comma-separated')
    .optional(),
  /** Items one ListItems call may read at most, matching or not (a page may come back short). */
  LIST_SCAN_BUDGET: z.coerce.number().int().min(10).max(100_000).default(DEFAULT_LIST_BUDGET),
  /**
   * The end user's token, forwarded by the api: the same issuer, keys, audience and limits
   * as the api's (service-kit's authEnv; the manifests set both from the platform settings).
   * AUTH_JWKS_URL is required (empty counts as unset) unless AUTH_DEV_TRUST_HEADERS is set.
   */
  ...authEnv,
  /**
   * A developer's own process only, as at the api: without AUTH_JWKS_URL, trust each
   * request's tenant_id from whoever reaches the port (said at start). Never set by the
   * manifests or the lab; tests and the bench set it for the stores they start without an
   * issuer. Ignored when AUTH_JWKS_URL is set.
   */
  AUTH_DEV_TRUST_HEADERS: booleanFlag(false),
  /** After SIGTERM: report NOT_SERVING this long before closing (lets endpoints update). */
  SHUTDOWN_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  /** Longest wait for in-flight calls to finish before they are cancelled. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(20_000),
};

export type StoreConfig = ReturnType<typeof loadStoreConfig>;

export function loadStoreConfig(env: NodeJS.ProcessEnv = process.env) {
  const config = parseEnv(shape, env);
  // A store that cannot verify tokens must not start by accident (an issuer setting left
  // empty): any pod that reaches it could then read and write every tenant.
  if (config.AUTH_JWKS_URL === undefined && !config.AUTH_DEV_TRUST_HEADERS)
    throw new ConfigError(
      "invalid configuration:\n  AUTH_JWKS_URL: is required (the issuer's JWKS, the api's); only a developer's own process may run without authentication, with AUTH_DEV_TRUST_HEADERS=true",
    );
  return config;
}
