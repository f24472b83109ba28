import type { FastifyRequest } from 'fastify';
import { bearerToken, TokenRejected, type TokenSettings, tokenVerifier } from 'service-kit';
import { PATTERN_RULES, PATTERNS } from 'store-contract';
import { ApiError } from './errors.ts';

/** Who is asking: the tenant whose items are addressed, and the user recorded as author. */
export interface Caller {
  readonly tenantId: string;
  readonly userId: string;
  /**
   * The verified token, forwarded to the store (gRPC metadata `authorization`), which checks
   * it again and takes the tenant from it; undefined without an issuer (header mode).
   */
  readonly credential: string | undefined;
}

export type Authenticate = (request: FastifyRequest) => Promise<Caller>;

/** The shared verifier's settings (service-kit): issuer, audience, keys, claim, lifetime limits. */
export type JwtSettings = TokenSettings;

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
 * `Authorization: Bearer <JWT>`, verified by service-kit's tokenVerifier (signature,
 * allowed algorithm, issuer, audience, dates with a clock skew, lifetime at most the
 * maximum). The tenant comes from the tenant claim, the user from `sub`. A client may
 * still send X-Tenant-ID, but it must name the token's tenant (403 otherwise): one token
 * never reaches another tenant's items.
 */
export function jwtAuthenticator(settings: JwtSettings): Authenticate {
  const verify = tokenVerifier(settings);
  return async (request) => {
    const header = request.headers.authorization;
    const token = header === undefined ? undefined : bearerToken(header);
    if (token === undefined)
      throw new Unauthenticated(
        header === undefined ? 'send Authorization: Bearer <token>' : 'Authorization: expected Bearer <JWT>',
        header === undefined ? 'invalid_request' : 'invalid_token',
      );
    let claims: { tenantId: string; userId: string };
    try {
      claims = await verify(token);
    } catch (err) {
      if (err instanceof TokenRejected) throw new Unauthenticated(err.message, 'invalid_token');
      throw err;
    }
    const { tenantId, userId } = claims;
    if (!TENANT.test(tenantId))
      throw new Unauthenticated(
        `the token's ${settings.tenantClaim} claim must be ${PATTERN_RULES.tenantId}`,
        'invalid_token',
      );
    if (!USER.test(userId))
      throw new Unauthenticated(`the token's sub claim must be ${PATTERN_RULES.userId}`, 'invalid_token');
    const named = request.headers['x-tenant-id'];
    if (named !== undefined && named !== tenantId)
      throw new ApiError(
        403,
        'permission_denied',
        'X-Tenant-ID: names another tenant than the token',
        'x-tenant-id',
      );
    return { tenantId, userId, credential: token };
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
    return { tenantId, userId: typeof userId === 'string' ? userId : '', credential: undefined };
  };
}
