import { StoreServiceService } from '../gen/store/v1/store.ts';

/**
 * The store's fully qualified gRPC service name (`store.v1.StoreService`), read from the
 * service definition generated from store.proto: health checks, metrics labels and mesh
 * routes name the same service the proto declares.
 */
export const STORE_SERVICE_NAME: string = StoreServiceService.createItem.path.split('/')[1] ?? '';
