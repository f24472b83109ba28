import { type handleUnaryCall, type ServerUnaryCall, type sendUnaryData, status } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { startGrpcServerSpan } from 'service-kit';
import type { StoreServiceServer } from 'store-contract';
import type { CallOptions } from '../data/repository.ts';
import { invalidArgument, StoreError } from '../domain/errors.ts';
import type { ItemService } from '../domain/items.ts';
import { type AuthenticateCall, requireTenant } from './caller.ts';
import { categoryFromProto, itemToProto, statusFromProto } from './convert.ts';
import type { StoreMetrics } from './metrics.ts';
import { toServiceError } from './status.ts';

type Handler<Req, Res> = (request: Req, options: CallOptions) => Promise<Res>;

/** Marks a request whose bytes the generated decoder refused (see server.ts). */
export const UNDECODABLE = Symbol('undecodable');
export type Undecodable = { readonly [UNDECODABLE]: { readonly field: string | undefined } };

/**
 * The caller's deadline (and cancellation) as an AbortSignal: DynamoDB calls made for this
 * call are aborted once the caller has stopped waiting, so no work outlives it.
 */
function callSignal(call: ServerUnaryCall<unknown, unknown>): AbortSignal {
  const controller = new AbortController();
  const deadline = call.getDeadline();
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  if (Number.isFinite(at)) {
    const timer = setTimeout(
      () => controller.abort(new Error('deadline passed')),
      Math.max(0, at - Date.now()),
    );
    timer.unref();
    controller.signal.addEventListener('abort', () => clearTimeout(timer));
  }
  call.once('cancelled', () => controller.abort(new Error('call cancelled')));
  return controller.signal;
}

/** What every call goes through: who it is from, and where its log line and metrics go. */
export interface CallDeps {
  readonly logger: Logger;
  readonly metrics: StoreMetrics;
  readonly authenticate: AuthenticateCall;
}

/**
 * Wraps a domain call: the caller's credential is checked first (before the request is
 * looked at, so a caller without one learns nothing), then the request must address the
 * credential's tenant; one log line (debug when it succeeds) and one metrics observation
 * per call (never the payload). `write`: the call changes data, so a failure after the
 * data store may have applied it is reported as an unknown outcome.
 */
function unary<Req extends { tenantId: string }, Res>(
  { logger, metrics, authenticate }: CallDeps,
  method: string,
  write: boolean,
  handler: Handler<Req, Res>,
  detail?: (response: Res) => Record<string, unknown>,
): handleUnaryCall<Req, Res> {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    const started = performance.now();
    // The call's span (child of the caller's, from its traceparent); log lines inside it
    // carry its trace id.
    const span = startGrpcServerSpan(call.getPath(), call.metadata);
    const done = (code: status, extra: Record<string, unknown> = {}) => {
      const seconds = (performance.now() - started) / 1000;
      // Successful calls at debug: the api's request line already records each request (with
      // the trace id), and a line per call was most of the store's CPU under load. Failures
      // stay at info; LOG_LEVEL=debug shows every call.
      logger[code === status.OK ? 'debug' : 'info'](
        { rpc: method, code: status[code], duration_ms: Math.round(seconds * 10_000) / 10, ...extra },
        'call',
      );
      metrics.observeCall(method, status[code] ?? String(code), seconds);
      span.end(code);
    };
    const fail = (err: unknown) => {
      const error = toServiceError(err, logger, write);
      done(error.code ?? status.UNKNOWN);
      callback(error);
    };
    span.run(() => {
      authenticate(call.metadata)
        .then((caller) => {
          const undecodable = (call.request as Partial<Undecodable>)[UNDECODABLE];
          if (undecodable !== undefined) {
            const { field } = undecodable;
            fail(
              field === undefined
                ? new StoreError('invalid_argument', 'request: not a valid message')
                : invalidArgument(
                    field,
                    `must be from ${Number.MIN_SAFE_INTEGER} to ${Number.MAX_SAFE_INTEGER}`,
                  ),
            );
            return;
          }
          requireTenant(caller, call.request.tenantId);
          return handler(call.request, { signal: callSignal(call) }).then((response) => {
            done(status.OK, detail?.(response));
            callback(null, response);
          });
        })
        .catch(fail);
    });
  };
}

/** gRPC handlers: decode the request, call the domain, encode the answer. No logic of their own. */
export function storeHandlers(items: ItemService, io: CallDeps): StoreServiceServer {
  return {
    createItem: unary(io, 'CreateItem', true, async (r, options) => {
      const { item, created } = await items.create(
        {
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
        },
        options,
      );
      if (created) io.metrics.itemsCreated.inc();
      return { item: itemToProto(item), created };
    }),
    getItem: unary(io, 'GetItem', false, async (r, options) => ({
      item: itemToProto(await items.get(r.tenantId, r.id, options)),
    })),
    updateItem: unary(io, 'UpdateItem', true, async (r, options) => {
      const category = categoryFromProto(r.category);
      const status = statusFromProto(r.status);
      const item = await items.update(
        {
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
        },
        options,
      );
      return { item: itemToProto(item) };
    }),
    deleteItem: unary(io, 'DeleteItem', true, async (r, options) => ({
      item: itemToProto(await items.delete(r.tenantId, r.id, r.userId, options)),
    })),
    listItems: unary(
      io,
      'ListItems',
      false,
      async (r, options) => {
        const page = await items.list(
          {
            tenantId: r.tenantId,
            category: categoryFromProto(r.category),
            status: statusFromProto(r.status),
            search: r.search,
            pageSize: r.pageSize,
            pageToken: r.pageToken,
          },
          options,
        );
        return {
          items: page.items.map(itemToProto),
          nextPageToken: page.nextPageToken,
          scanned: page.scanned,
        };
      },
      // Work per list call, for the logs and the budget's tests.
      (response) => ({ items_read: response.scanned }),
    ),
    updateInventory: unary(io, 'UpdateInventory', true, async (r, options) => {
      const { item, previousCount, replayed } = await items.adjustInventory(
        {
          tenantId: r.tenantId,
          id: r.id,
          quantityChange: r.quantityChange,
          reason: r.reason,
          userId: r.userId,
          requestId: r.requestId,
        },
        options,
      );
      if (!replayed)
        io.metrics.inventoryChanges.inc({ direction: r.quantityChange > 0 ? 'increase' : 'decrease' });
      return { item: itemToProto(item), previousCount, replayed };
    }),
  };
}
