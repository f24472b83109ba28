// Promise wrappers over the generated grpc-js client, for tests.
import * as grpc from '@grpc/grpc-js';
import { StoreServiceClient } from 'store-contract';

type Unary<Req, Res> = (
  request: Req,
  metadata: grpc.Metadata,
  options: Partial<grpc.CallOptions>,
  callback: (err: grpc.ServiceError | null, response: Res) => void,
) => grpc.ClientUnaryCall;

export interface CallResult<Res> {
  readonly response: Res;
  readonly trailers: grpc.Metadata;
}

/** A token for a tenant (local-runtime's issuer: `issuer.token`). */
export type TokenFor = (tenantId: string) => Promise<string>;

/**
 * Metadata that authenticates a call as the store requires: `authorization: Bearer <JWT>`
 * (what the api forwards; any client does the same).
 */
export function bearer(token: string, metadata = new grpc.Metadata()): grpc.Metadata {
  metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

/**
 * A client of the store on 127.0.0.1:port. With `tokenFor`, every call that brings no
 * `authorization` of its own gets a token for the tenant its request names (one per
 * tenant, reused).
 */
export function connectStore(port: number, tokenFor?: TokenFor) {
  const client = new StoreServiceClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const tokens = new Map<string, Promise<string>>();
  const tokenOf = (tenantId: string) => {
    let token = tokens.get(tenantId);
    if (token === undefined && tokenFor !== undefined) {
      token = tokenFor(tenantId);
      tokens.set(tenantId, token);
    }
    return token;
  };
  /** The request's metadata with a token for its tenant (unless it carries one already). */
  async function authenticated(request: unknown, metadata = new grpc.Metadata()): Promise<grpc.Metadata> {
    const tenantId = (request as { tenantId?: unknown } | null)?.tenantId;
    const token = tokenOf(typeof tenantId === 'string' ? tenantId : '');
    if (token !== undefined && metadata.get('authorization').length === 0) bearer(await token, metadata);
    return metadata;
  }
  async function call<Req, Res>(method: Unary<Req, Res>, request: Req, metadata?: grpc.Metadata) {
    const sent = await authenticated(request, metadata);
    return new Promise<CallResult<Res>>((resolve, reject) => {
      let trailers = new grpc.Metadata();
      const c = method.call(client, request, sent, { deadline: Date.now() + 5000 }, (err, response) => {
        if (err) reject(err);
        else setImmediate(() => resolve({ response, trailers }));
      });
      c.on('status', (s: grpc.StatusObject) => {
        trailers = s.metadata;
      });
    });
  }
  return { client, call, authenticated, port };
}
