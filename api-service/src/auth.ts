import type { FastifyRequest } from 'fastify';
import { createRemoteJWKSet, type JWTVerifyGetKey, errors as joseErrors, jwtVerify } from 'jose';
import { PATTERN_RULES, PATTERNS } from 'store-contract';
import { ApiError } from './errors.ts';

/** Who is asking: the tenant whose items are addressed, and the user recorded as author. */
export interface Caller {
  readonly tenantId: string;
  readonly userId: string;
}

export type Authenticate = (request: FastifyRequest) => Promise<Caller>;

export interface JwtSettings {
  readonly issuer: string;
  readonly audience: string;
  /** Where the issuer publishes its keys, or the keys themselves (tests, the lab). */
  readonly keys: string | JWTVerifyGetKey;
  /** The claim that names the tenant. */
  readonly tenantClaim: string;
  /** Signature algorithms accepted (never `none`, never a symmetric one with a public key). */
  readonly algorithms: readonly string[];
}

const TENANT = new RegExp(PATTERNS.tenantId);
const USER = new RegExp(PATTERNS.userId);

/** The API's 401: a JSON body, and the challenge a client needs to know what to send. */
export class Unauthenticated extends ApiError {
  readonly challenge: string;
  constructor(message: string, error: 'invalid_request' | 'invalid_token') {
    super(401, 'unauthenticated', message);
    this.challenge = `Bearer realm="api-service", error="${error}"`;
  }
}

/**
 * `Authorization: Bearer <JWT>`, verified against the issuer's JWKS: signature with an
 * allowed algorithm, issuer, audience, `exp` and `nbf` (jose checks the dates). The tenant
 * comes from the tenant claim, the user from `sub`. A client may still send X-Tenant-ID,
 * but it must name the token's tenant (403 otherwise): one token never reaches another
 * tenant's items.
 */
export function jwtAuthenticator(settings: JwtSettings): Authenticate {
  const keys = typeof settings.keys === 'string' ? createRemoteJWKSet(new URL(settings.keys)) : settings.keys;
  return async (request) => {
    const header = request.headers.authorization;
    const match = /^Bearer\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)\s*$/i.exec(header ?? '');
    if (match?.[1] === undefined)
      throw new Unauthenticated(
        header === undefined ? 'send Authorization: Bearer <token>' : 'Authorization: expected Bearer <JWT>',
        header === undefined ? 'invalid_request' : 'invalid_token',
      );
    let claims: Record<string, unknown>;
    try {
      ({ payload: claims } = await jwtVerify(match[1], keys, {
        issuer: settings.issuer,
        audience: settings.audience,
        algorithms: [...settings.algorithms],
        requiredClaims: ['exp', 'sub', settings.tenantClaim],
      }));
    } catch (err) {
      const why =
        err instanceof joseErrors.JWTExpired
          ? 'the token has expired'
          : err instanceof joseErrors.JWTClaimValidationFailed
            ? `the token's ${err.claim} claim is not accepted here`
            : 'the token is not valid here (signature, algorithm or issuer)';
      throw new Unauthenticated(why, 'invalid_token');
    }
    const tenantId = claims[settings.tenantClaim];
    const userId = claims.sub;
    if (typeof tenantId !== 'string' || !TENANT.test(tenantId))
      throw new Unauthenticated(
        `the token's ${settings.tenantClaim} claim must be ${PATTERN_RULES.tenantId}`,
        'invalid_token',
      );
    if (typeof userId !== 'string' || !USER.test(userId))
      throw new Unauthenticated(`the token's sub claim must be ${PATTERN_RULES.userId}`, 'invalid_token');
    const named = request.headers['x-tenant-id'];
    if (named !== undefined && named !== tenantId)
      throw new ApiError(
        403,
        'permission_denied',
        'X-Tenant-ID: names another tenant than the token',
        'x-tenant-id',
      );
    return { tenantId, userId };
  };
}

/**
 * No authentication (AUTH_JWKS_URL unset): the tenant is whatever X-Tenant-ID says, the
 * user X-User-ID. For a process on a developer's machine only; the manifests always set
 * an issuer, and the api warns at start when it runs like this.
 */
export function headerAuthenticator(): Authenticate {
  return async (request) => {
    const tenantId = request.headers['x-tenant-id'];
    if (typeof tenantId !== 'string')
      throw new ApiError(400, 'invalid_argument', 'headers.x-tenant-id: is required', 'x-tenant-id');
    const userId = request.headers['x-user-id'];
    return { tenantId, userId: typeof userId === 'string' ? userId : '' };
  };
}
