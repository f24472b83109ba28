import { StoreServiceService } from '../gen/store/v1/store.ts';

/**
 * The store's fully qualified gRPC service name (`store.v1.StoreService`), read from the
 * service definition generated from store.proto: health checks, metrics labels and mesh
 * routes name the same service the proto declares.
 */
export const STORE_SERVICE_NAME: string = StoreServiceService.createItem.path.split('/')[1] ?? '';

/**
 * The grpc.health.v1 name under which the store reports whether its data store answers its
 * pings: SERVING or NOT_SERVING (UNKNOWN before the first ping). Reported for operators and
 * clients, never a probe target: readiness is `store.v1.StoreService`, which waits for the
 * data store once after start and then follows draining only.
 */
export const DATA_STORE_HEALTH = `${STORE_SERVICE_NAME}/data-store`;
