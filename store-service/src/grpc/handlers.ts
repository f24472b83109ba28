import { type handleUnaryCall, type ServerUnaryCall, type sendUnaryData, status } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { StoreServiceServer } from '../../proto/gen/store.ts';
import type { ItemService } from '../domain/items.ts';
import { categoryFromProto, itemToProto, statusFromProto } from './convert.ts';
import { toServiceError } from './status.ts';

type Handler<Req, Res> = (request: Req) => Promise<Res>;

/** Wraps a domain call: one log line per call (method, code, duration; never the payload). */
function unary<Req, Res>(
  logger: Logger,
  method: string,
  handler: Handler<Req, Res>,
): handleUnaryCall<Req, Res> {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    const started = performance.now();
    const done = (code: status) =>
      logger.info(
        { rpc: method, code: status[code], duration_ms: Math.round((performance.now() - started) * 10) / 10 },
        'call',
      );
    handler(call.request).then(
      (response) => {
        done(status.OK);
        callback(null, response);
      },
      (err: unknown) => {
        const error = toServiceError(err, logger);
        done(error.code ?? status.UNKNOWN);
        callback(error);
      },
    );
  };
}

/** gRPC handlers: decode the request, call the domain, encode the answer. No logic of their own. */
export function storeHandlers(items: ItemService, logger: Logger): StoreServiceServer {
  return {
    createItem: unary(logger, 'CreateItem', async (r) => {
      const { item, created } = await items.create({
        tenantId: r.tenantId,
        requestId: r.requestId,
        name: r.name,
        description: r.description,
        priceCents: r.priceCents,
        category: categoryFromProto(r.category),
        sku: r.sku,
        inventoryCount: r.inventoryCount,
        tags: r.tags,
        userId: r.userId,
      });
      return { item: itemToProto(item), created };
    }),
    getItem: unary(logger, 'GetItem', async (r) => ({
      item: itemToProto(await items.get(r.tenantId, r.id)),
    })),
    updateItem: unary(logger, 'UpdateItem', async (r) => {
      const category = categoryFromProto(r.category);
      const status = statusFromProto(r.status);
      const item = await items.update({
        tenantId: r.tenantId,
        id: r.id,
        expectedVersion: r.expectedVersion,
        userId: r.userId,
        changes: {
          ...(r.name === undefined ? {} : { name: r.name }),
          ...(r.description === undefined ? {} : { description: r.description }),
          ...(r.priceCents === undefined ? {} : { priceCents: r.priceCents }),
          ...(category === undefined ? {} : { category }),
          ...(status === undefined ? {} : { status }),
          ...(r.sku === undefined ? {} : { sku: r.sku }),
          ...(r.updateTags ? { tags: r.tags } : {}),
        },
      });
      return { item: itemToProto(item) };
    }),
    deleteItem: unary(logger, 'DeleteItem', async (r) => ({
      item: itemToProto(await items.delete(r.tenantId, r.id, r.userId)),
    })),
    listItems: unary(logger, 'ListItems', async (r) => {
      const page = await items.list({
        tenantId: r.tenantId,
        category: categoryFromProto(r.category),
        status: statusFromProto(r.status),
        search: r.search,
        pageSize: r.pageSize,
        pageToken: r.pageToken,
      });
      return { items: page.items.map(itemToProto), nextPageToken: page.nextPageToken };
    }),
    updateInventory: unary(logger, 'UpdateInventory', async (r) => {
      const { item, previousCount } = await items.adjustInventory(
        r.tenantId,
        r.id,
        r.quantityChange,
        r.reason,
        r.userId,
      );
      return { item: itemToProto(item), previousCount };
    }),
  };
}
