// The rendered platform as typed objects: each routing provider reads the objects it
// routes by once (memoised per object) into typed views; see traefik.ts and mesh.ts.
import { type GatewayRoute, type ReferenceGrant, readGatewayRoute, readReferenceGrant } from './mesh.ts';
import type { PlatformObject } from './object.ts';
import {
  type IngressRoute,
  type Middleware,
  type MiddlewareRef,
  readIngressRoute,
  readMiddleware,
} from './traefik.ts';

export {
  type BackendRef,
  objectId,
  type PlatformObject,
  UnsupportedRouteError,
} from './object.ts';

/** The routing objects of a set of rendered objects, typed. */
export interface Platform {
  readonly ingressRoutes: readonly IngressRoute[];
  readonly middlewares: readonly Middleware[];
  /** GRPCRoutes and HTTPRoutes. */
  readonly gatewayRoutes: readonly GatewayRoute[];
  readonly referenceGrants: readonly ReferenceGrant[];
  /** The Middleware a route refers to, if rendered. */
  middleware(ref: MiddlewareRef): Middleware | undefined;
}

export function readPlatform(objects: readonly PlatformObject[]): Platform {
  const of = (kind: string) => objects.filter((o) => o.kind === kind);
  const middlewares = of('Middleware').map(readMiddleware);
  return {
    ingressRoutes: of('IngressRoute').map(readIngressRoute),
    middlewares,
    gatewayRoutes: objects
      .filter((o) => o.kind === 'GRPCRoute' || o.kind === 'HTTPRoute')
      .map(readGatewayRoute),
    referenceGrants: of('ReferenceGrant').map(readReferenceGrant),
    middleware: (ref) => middlewares.find((m) => m.name === ref.name && m.namespace === ref.namespace),
  };
}
