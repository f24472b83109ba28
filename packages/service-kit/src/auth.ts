import { createRemoteJWKSet, type JWTVerifyGetKey, errors as joseErrors, jwtVerify } from 'jose';
import { z } from 'zod';

/**
 * The end user's token, checked the same way by every service that receives it: the api
 * (from `Authorization: Bearer`) and the store (from the gRPC metadata the api forwards).
 * One verifier, one set of settings, so the two can never disagree on who a caller is.
 */

/** The gRPC metadata key that carries the end user's token from the api to the store. */
export const AUTHORIZATION_METADATA_KEY = 'authorization';

/** Longest a token may live (`exp - iat`) unless AUTH_MAX_TOKEN_LIFETIME_SECONDS says otherwise. */
export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 24 * 3600;
/** Clock difference tolerated between the issuer and this process, for exp, nbf and iat. */
export const DEFAULT_CLOCK_SKEW_SECONDS = 60;

export const TOKEN_ALGORITHMS = [
  'ES256',
  'ES384',
  'ES512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'EdDSA',
] as const;

/**
 * The settings, as environment variables (parsed once at boot with parseEnv): the manifests
 * set issuer, audience and JWKS URL per environment from the platform settings. Without
 * AUTH_JWKS_URL a service checks no token (a developer's own process) and says so at start.
 */
export const authEnv = {
  AUTH_JWKS_URL: z.url({ protocol: /^https?$/ }).optional(),
  AUTH_ISSUER: z.string().min(1).default('https://issuer.invalid'),
  AUTH_AUDIENCE: z.string().min(1).default('api-service'),
  /** The claim that names the tenant. */
  AUTH_TENANT_CLAIM: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_:.-]*$/)
    .default('tenant'),
  /** Accepted signature algorithms (asymmetric only). */
  AUTH_ALGORITHMS: z
    .string()
    .default('ES256,RS256')
    .transform((v) => v.split(',').map((a) => a.trim()))
    .pipe(z.array(z.enum(TOKEN_ALGORITHMS)).min(1)),
  /** Tokens whose `exp - iat` exceeds this are refused, however valid otherwise. */
  AUTH_MAX_TOKEN_LIFETIME_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(7 * 24 * 3600)
    .default(DEFAULT_MAX_TOKEN_LIFETIME_SECONDS),
  AUTH_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(600).default(DEFAULT_CLOCK_SKEW_SECONDS),
};

/** What parseEnv returns for authEnv (a service's config has these fields among its own). */
export interface AuthConfig {
  readonly AUTH_JWKS_URL?: string | undefined;
  readonly AUTH_ISSUER: string;
  readonly AUTH_AUDIENCE: string;
  readonly AUTH_TENANT_CLAIM: string;
  readonly AUTH_ALGORITHMS: readonly string[];
  readonly AUTH_MAX_TOKEN_LIFETIME_SECONDS: number;
  readonly AUTH_CLOCK_SKEW_SECONDS: number;
}

export interface TokenSettings {
  readonly issuer: string;
  readonly audience: string;
  /** Where the issuer publishes its keys, or the keys themselves (tests, the lab). */
  readonly keys: string | JWTVerifyGetKey;
  /** The claim that names the tenant. */
  readonly tenantClaim: string;
  /** Signature algorithms accepted (never `none`, never a symmetric one with a public key). */
  readonly algorithms: readonly string[];
  /** Default DEFAULT_MAX_TOKEN_LIFETIME_SECONDS. */
  readonly maxLifetimeSeconds?: number;
  /** Default DEFAULT_CLOCK_SKEW_SECONDS. */
  readonly clockSkewSeconds?: number;
  /** Verified tokens remembered (see tokenVerifier); default 1000, 0 remembers none. */
  readonly cacheSize?: number;
}

/** How long a verified token is taken at its word before its signature is checked again. */
const CACHE_SECONDS = 60;

/** The verifier's settings from a parsed config; undefined when no issuer is configured. */
export function tokenSettings(config: AuthConfig): TokenSettings | undefined {
  if (config.AUTH_JWKS_URL === undefined) return undefined;
  return {
    issuer: config.AUTH_ISSUER,
    audience: config.AUTH_AUDIENCE,
    keys: config.AUTH_JWKS_URL,
    tenantClaim: config.AUTH_TENANT_CLAIM,
    algorithms: config.AUTH_ALGORITHMS,
    maxLifetimeSeconds: config.AUTH_MAX_TOKEN_LIFETIME_SECONDS,
    clockSkewSeconds: config.AUTH_CLOCK_SKEW_SECONDS,
  };
}

/** Who a verified token speaks for. */
export interface TokenClaims {
  /** The tenant claim: whose items the caller may address. */
  readonly tenantId: string;
  /** `sub`: the user recorded as author. */
  readonly userId: string;
}

/** A token refused; the message says why in words a client can act on (never the token). */
export class TokenRejected extends Error {
  override name = 'TokenRejected';
}

export type VerifyToken = (token: string) => Promise<TokenClaims>;

const BEARER = /^Bearer\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)\s*$/i;

/** The JWT of an `Authorization: Bearer <JWT>` value; undefined when it is not one. */
export function bearerToken(value: string): string | undefined {
  return BEARER.exec(value)?.[1];
}

/**
 * Verifies a JWT against the issuer's keys: signature with an allowed algorithm, issuer,
 * audience, `exp` and `nbf` (with the clock skew), then the lifetime limits jose does not
 * know: `iat` is required and not in the future beyond the skew, and `exp - iat` is at
 * most the maximum lifetime (a token that claims to live for a century is refused even
 * when its signature is good). The tenant claim and `sub` must be non-empty strings.
 *
 * A verified token is remembered (the last `cacheSize`, each for at most 60 s and never
 * past its `exp` plus the skew): an ES256 check costs about 100 µs of CPU here, as much as
 * the rest of a store call, and a user's requests repeat one token. A key withdrawn from
 * the JWKS therefore stops working within a minute, as with jose's own key cache.
 */
export function tokenVerifier(settings: TokenSettings, now: () => number = Date.now): VerifyToken {
  const keys = typeof settings.keys === 'string' ? createRemoteJWKSet(new URL(settings.keys)) : settings.keys;
  const skew = settings.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS;
  const maxLifetime = settings.maxLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
  const cacheSize = settings.cacheSize ?? 1000;
  const claim = settings.tenantClaim;
  const verified = new Map<string, { readonly claims: TokenClaims; readonly until: number }>();
  return async (token) => {
    const at = now();
    const known = verified.get(token);
    if (known !== undefined) {
      if (at < known.until) return known.claims;
      verified.delete(token);
    }
    let claims: Record<string, unknown>;
    try {
      ({ payload: claims } = await jwtVerify(token, keys, {
        issuer: settings.issuer,
        audience: settings.audience,
        algorithms: [...settings.algorithms],
        requiredClaims: ['exp', 'iat', 'sub', claim],
        clockTolerance: skew,
        currentDate: new Date(at),
      }));
    } catch (err) {
      throw new TokenRejected(
        err instanceof joseErrors.JWTExpired
          ? 'the token has expired'
          : err instanceof joseErrors.JWTClaimValidationFailed
            ? `the token's ${err.claim} claim is not accepted here`
            : 'the token is not valid here (signature, algorithm or issuer)',
      );
    }
    // jose has checked that both are numbers (NumericDate).
    const iat = claims.iat as number;
    const exp = claims.exp as number;
    if (iat > at / 1000 + skew) throw new TokenRejected("the token's iat claim is in the future");
    if (exp - iat > maxLifetime)
      throw new TokenRejected(
        `the token lives longer than ${maxLifetime} s (exp - iat): ask for a shorter one`,
      );
    const tenantId = claims[claim];
    const userId = claims.sub;
    if (typeof tenantId !== 'string' || tenantId === '')
      throw new TokenRejected(`the token's ${claim} claim must be a tenant id`);
    if (typeof userId !== 'string' || userId === '')
      throw new TokenRejected("the token's sub claim must be a user id");
    const result = { tenantId, userId };
    if (cacheSize > 0) {
      // Oldest first out (a Map keeps insertion order).
      if (verified.size >= cacheSize) verified.delete(verified.keys().next().value ?? '');
      verified.set(token, {
        claims: result,
        until: Math.min(at + CACHE_SECONDS * 1000, (exp + skew) * 1000),
      });
    }
    return result;
  };
}
