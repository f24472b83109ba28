// A Store for in-process tests of the api: items in memory, answering with the gRPC
// status codes the real store uses, every call recorded, and any call replaceable by a
// scripted failure. It checks what the api relies on (versions, stock, tenants); input
// validation is the api's own (and the store's, tested in store-service).
import { type ServiceError, status } from '@grpc/grpc-js';
import { errorMetadata, type Item, ItemStatus } from 'store-contract';
import type { OnBehalfOf, Store } from '../src/store-client.ts';

export function grpcError(code: status, details: string, field?: string): ServiceError {
  // As the real store answers: every refusal changed nothing, and names its field.
  const metadata = errorMetadata({ outcome: 'not_applied', field });
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), { code, details, metadata });
}

type Method = Exclude<keyof Store, 'close' | 'isServing'>;

export interface FakeStore extends Store {
  /** Every call, in order: method, request and the credential it was made with. */
  readonly calls: Array<{ method: Method; request: unknown; credential: string | undefined }>;
  /** The next call of `method` fails with this error. */
  failNext(method: Method, error: ServiceError): void;
  serving: boolean;
}

export function fakeStore(): FakeStore {
  const items = new Map<string, Item>();
  const failures = new Map<Method, ServiceError>();
  const calls: FakeStore['calls'] = [];
  let sequence = 0;
  const key = (tenantId: string, id: string) => `${tenantId}/${id}`;
  const find = (tenantId: string, id: string) => {
    const item = items.get(key(tenantId, id));
    if (item === undefined) throw grpcError(status.NOT_FOUND, `item ${id} not found`);
    return item;
  };
  const save = (item: Item) => {
    items.set(key(item.tenantId, item.id), item);
    return item;
  };
  const call =
    <Req, Res>(method: Method, handler: (request: Req) => Res) =>
    async (request: Req, as: OnBehalfOf): Promise<Res> => {
      calls.push({ method, request, credential: as.credential });
      const failure = failures.get(method);
      if (failure !== undefined) {
        failures.delete(method);
        throw failure;
      }
      return handler(request);
    };
  const now = () => new Date(Date.UTC(2026, 0, 1, 0, 0, sequence)).toISOString();

  const store: FakeStore = {
    calls,
    serving: true,
    failNext: (method, error) => failures.set(method, error),
    createItem: call('createItem', (r) => {
      sequence += 1;
      const id = `00000000-0000-7000-8000-${String(sequence).padStart(12, '0')}`;
      const user = r.userId === '' ? 'anonymous' : r.userId;
      const item: Item = {
        id,
        tenantId: r.tenantId,
        name: r.name,
        description: r.description,
        priceCents: r.priceCents,
        category: r.category,
        status: r.inventoryCount > 0 ? ItemStatus.ITEM_STATUS_ACTIVE : ItemStatus.ITEM_STATUS_OUT_OF_STOCK,
        sku: r.sku,
        inventoryCount: r.inventoryCount,
        tags: r.tags,
        createdAt: now(),
        updatedAt: now(),
        createdBy: user,
        updatedBy: user,
        version: 1,
      };
      return { item: save(item), created: true };
    }),
    getItem: call('getItem', (r) => ({ item: find(r.tenantId, r.id) })),
    updateItem: call('updateItem', (r) => {
      const current = find(r.tenantId, r.id);
      if (current.version !== r.expectedVersion)
        throw grpcError(status.ABORTED, `item ${r.id} is at version ${current.version}`);
      const next: Item = {
        ...current,
        ...(r.name === undefined ? {} : { name: r.name }),
        ...(r.description === undefined ? {} : { description: r.description }),
        ...(r.priceCents === undefined ? {} : { priceCents: r.priceCents }),
        ...(r.category === undefined ? {} : { category: r.category }),
        ...(r.status === undefined ? {} : { status: r.status }),
        ...(r.sku === undefined ? {} : { sku: r.sku }),
        ...(r.updateTags ? { tags: r.tags } : {}),
        version: current.version + 1,
        updatedBy: r.userId === '' ? 'anonymous' : r.userId,
      };
      return { item: save(next) };
    }),
    deleteItem: call('deleteItem', (r) => {
      const current = find(r.tenantId, r.id);
      if (current.status === ItemStatus.ITEM_STATUS_DISCONTINUED) return { item: current };
      return {
        item: save({ ...current, status: ItemStatus.ITEM_STATUS_DISCONTINUED, version: current.version + 1 }),
      };
    }),
    listItems: call('listItems', (r) => ({
      items: [...items.values()].filter(
        (i) =>
          i.tenantId === r.tenantId &&
          (r.category === 0 || i.category === r.category) &&
          (r.status === 0 || i.status === r.status),
      ),
      nextPageToken: '',
    })),
    updateInventory: call('updateInventory', (r) => {
      const current = find(r.tenantId, r.id);
      if (current.inventoryCount + r.quantityChange < 0)
        throw grpcError(
          status.FAILED_PRECONDITION,
          `insufficient stock: ${current.inventoryCount} available`,
        );
      const item = save({
        ...current,
        inventoryCount: current.inventoryCount + r.quantityChange,
        version: current.version + 1,
      });
      return { item, previousCount: current.inventoryCount, replayed: false };
    }),
    isServing: async () => store.serving,
    close() {},
  };
  return store;
}
