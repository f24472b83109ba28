import { type Metadata, status } from '@grpc/grpc-js';
import {
  AUTHORIZATION_METADATA_KEY,
  bearerToken,
  type TokenClaims,
  TokenRejected,
  type VerifyToken,
} from 'service-kit';

/**
 * A call refused before it reaches the domain: no or a bad credential (UNAUTHENTICATED),
 * a request for another tenant than the credential's (PERMISSION_DENIED), or the issuer's
 * keys out of reach (UNAVAILABLE: nothing was read or changed).
 */
export class CallRefused extends Error {
  override name = 'CallRefused';
  readonly code: status;
  constructor(code: status.UNAUTHENTICATED | status.PERMISSION_DENIED | status.UNAVAILABLE, message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * Who a call comes from, from its metadata: the verified claims, or undefined when the
 * store runs without an issuer (then the request's tenant_id is trusted). Throws
 * CallRefused.
 */
export type AuthenticateCall = (metadata: Metadata) => Promise<TokenClaims | undefined>;

/**
 * The end user's JWT, forwarded by the api as `authorization: Bearer <token>` and checked
 * here with the same verifier and settings as the api's: the store takes the tenant from
 * a credential it verified itself, never from a request field alone.
 */
export function tokenAuthenticator(verify: VerifyToken): AuthenticateCall {
  return async (metadata) => {
    const values = metadata.get(AUTHORIZATION_METADATA_KEY);
    if (values.length === 0)
      throw new CallRefused(status.UNAUTHENTICATED, 'send metadata authorization: Bearer <token>');
    const value = values.length === 1 ? values[0] : undefined;
    const token = typeof value === 'string' ? bearerToken(value) : undefined;
    if (token === undefined)
      throw new CallRefused(status.UNAUTHENTICATED, 'authorization: expected one Bearer <JWT>');
    try {
      return await verify(token);
    } catch (err) {
      if (err instanceof TokenRejected) throw new CallRefused(status.UNAUTHENTICATED, err.message);
      throw err;
    }
  };
}

/** No issuer configured (a developer's own process): every call is taken at its word. */
export const trustRequestTenant: AuthenticateCall = async () => undefined;

/** The request must address the credential's tenant. */
export function requireTenant(caller: TokenClaims | undefined, tenantId: string): void {
  if (caller !== undefined && caller.tenantId !== tenantId)
    throw new CallRefused(status.PERMISSION_DENIED, 'tenant_id: names another tenant than the token');
}
