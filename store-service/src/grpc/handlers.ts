import { type handleUnaryCall, type ServerUnaryCall, type sendUnaryData, status } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { StoreServiceServer } from 'store-contract';
import type { ItemService } from '../domain/items.ts';
import { categoryFromProto, itemToProto, statusFromProto } from './convert.ts';
import type { StoreMetrics } from './metrics.ts';
import { toServiceError } from './status.ts';

type Handler<Req, Res> = (request: Req) => Promise<Res>;

/** Wraps a domain call: one log line and one metrics observation per call (never the payload). */
function unary<Req, Res>(
  logger: Logger,
  metrics: StoreMetrics,
  method: string,
  handler: Handler<Req, Res>,
): handleUnaryCall<Req, Res> {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    const started = performance.now();
    const done = (code: status) => {
      const seconds = (performance.now() - started) / 1000;
      logger.info(
        { rpc: method, code: status[code], duration_ms: Math.round(seconds * 10_000) / 10 },
        'call',
      );
      metrics.observeCall(method, status[code] ?? String(code), seconds);
    };
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
export function storeHandlers(items: ItemService, logger: Logger, metrics: StoreMetrics): StoreServiceServer {
  return {
    createItem: unary(logger, metrics, 'CreateItem', async (r) => {
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
      if (created) metrics.itemsCreated.inc();
      return { item: itemToProto(item), created };
    }),
    getItem: unary(logger, metrics, 'GetItem', async (r) => ({
      item: itemToProto(await items.get(r.tenantId, r.id)),
    })),
    updateItem: unary(logger, metrics, 'UpdateItem', async (r) => {
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
    deleteItem: unary(logger, metrics, 'DeleteItem', async (r) => ({
      item: itemToProto(await items.delete(r.tenantId, r.id, r.userId)),
    })),
    listItems: unary(logger, metrics, 'ListItems', async (r) => {
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
    updateInventory: unary(logger, metrics, 'UpdateInventory', async (r) => {
      const { item, previousCount } = await items.adjustInventory(
        r.tenantId,
        r.id,
        r.quantityChange,
        r.reason,
        r.userId,
      );
      metrics.inventoryChanges.inc({ direction: r.quantityChange > 0 ? 'increase' : 'decrease' });
      return { item: itemToProto(item), previousCount };
    }),
  };
}
