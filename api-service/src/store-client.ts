import * as grpc from '@grpc/grpc-js';
import { currentCanaryContext, recordServedBy, setCanaryMetadata } from 'canary-context';
import { service as healthService } from 'grpc-health-check';
import type { Registry } from 'prom-client';
import { AUTHORIZATION_METADATA_KEY, grpcClientMetrics, grpcLabels, startGrpcClientSpan } from 'service-kit';
import {
  type CreateItemRequest,
  type CreateItemResponse,
  type DeleteItemRequest,
  type DeleteItemResponse,
  type GetItemRequest,
  type GetItemResponse,
  type ListItemsRequest,
  type ListItemsResponse,
  readErrorDetails,
  StoreServiceClient,
  StoreServiceService,
  type UpdateInventoryRequest,
  type UpdateInventoryResponse,
  type UpdateItemRequest,
  type UpdateItemResponse,
  type WriteOutcome,
} from 'store-contract';

/**
 * On whose behalf a store call is made: the end user's verified token (the api's Caller),
 * sent as metadata `authorization: Bearer <token>`. The store verifies it itself and
 * refuses a request whose tenant_id is not the token's tenant. Undefined only when the api
 * runs without an issuer (header mode), for a store that runs without one too.
 */
export interface OnBehalfOf {
  readonly credential: string | undefined;
}

/** The store as the API's handlers see it: promises, one deadline per call. */
export interface Store {
  createItem(request: CreateItemRequest, as: OnBehalfOf): Promise<CreateItemResponse>;
  getItem(request: GetItemRequest, as: OnBehalfOf): Promise<GetItemResponse>;
  updateItem(request: UpdateItemRequest, as: OnBehalfOf): Promise<UpdateItemResponse>;
  deleteItem(request: DeleteItemRequest, as: OnBehalfOf): Promise<DeleteItemResponse>;
  listItems(request: ListItemsRequest, as: OnBehalfOf): Promise<ListItemsResponse>;
  updateInventory(request: UpdateInventoryRequest, as: OnBehalfOf): Promise<UpdateInventoryResponse>;
  /**
   * True when the store process answers grpc.health.v1 SERVING for "" (its overall status)
   * within the deadline: the api is ready when it can reach the store. It does not follow
   * the store's own dependencies (DynamoDB): during their outage the api stays in rotation
   * and answers each data call with its own error.
   */
  isServing(deadlineMs: number): Promise<boolean>;
  close(): void;
}

// Reconnect quickly after the store restarts (grpc-js defaults back off up to 120 s).
const channelOptions: grpc.ChannelOptions = {
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 1000,
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 5_000,
};

type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: grpc.Metadata,
  options: Partial<grpc.CallOptions>,
  callback: (error: grpc.ServiceError | null, response: Res) => void,
) => grpc.ClientUnaryCall;

/**
 * A failed write's outcome. The contract's metadata decides when the answer carries it
 * (the store writes it on every failure, the lab's mesh on calls it could not deliver).
 * Without it: a call that never reached a server (grpc-js could not encode it, or had no
 * connection to send it on) changed nothing; one cut in flight (deadline, cancellation,
 * reset, an INTERNAL or UNAVAILABLE from something in between) may have been applied.
 */
export function writeOutcome(error: grpc.ServiceError, reachedServer: boolean): WriteOutcome {
  const { outcome } = readErrorDetails(error.metadata);
  if (outcome !== undefined) return outcome;
  if (!reachedServer) return 'not_applied';
  return CUT_IN_FLIGHT.has(error.code) ? 'unknown' : 'not_applied';
}

const CUT_IN_FLIGHT = new Set([
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.CANCELLED,
  grpc.status.INTERNAL,
  grpc.status.UNAVAILABLE,
]);

/** A failed store call; for a write, whether it may have changed anything. */
export type StoreCallError = grpc.ServiceError & { outcome?: WriteOutcome };

/**
 * Whether a finished call reached a server. grpc-js names the connection's peer address
 * once the call was given to a connection; before that (never encoded: `unknown`; no
 * connection: the channel's target) no byte of it was sent.
 */
function reachedServer(call: grpc.ClientUnaryCall, channel: { getTarget(): string }): boolean {
  const peer = call.getPeer();
  return peer !== 'unknown' && peer !== channel.getTarget();
}

export function connectStore(address: string, deadlineMs: number, registry?: Registry): Store {
  // The routing key, the served-by trailers and the metrics are handled in unary() below,
  // not by grpc-js interceptors: each interceptor adds a call object to every call.
  const client = new StoreServiceClient(address, grpc.credentials.createInsecure(), channelOptions);
  const metrics = registry === undefined ? undefined : grpcClientMetrics(registry);
  const HealthClient = grpc.makeGenericClientConstructor(healthService, 'grpc.health.v1.Health');
  const health = new HealthClient(
    address,
    grpc.credentials.createInsecure(),
    channelOptions,
  ) as unknown as grpc.Client & {
    check(
      request: { service: string },
      options: Partial<grpc.CallOptions>,
      callback: (error: grpc.ServiceError | null, response?: { status?: unknown }) => void,
    ): grpc.ClientUnaryCall;
  };

  /**
   * One store call: the caller's token goes out as `authorization`, the request context's
   * key as `x-canary` (and baggage) and the trace context as `traceparent` (through a client span when the trace is sampled),
   * the store's `x-served-by` trailer comes back into the context, and the call is counted
   * by method and status code with its duration.
   */
  function unary<Req, Res>(
    method: UnaryMethod<Req, Res>,
    path: string,
    write: boolean,
  ): (request: Req, as: OnBehalfOf) => Promise<Res> {
    const labels = grpcLabels(path);
    return (request, as) =>
      new Promise<Res>((resolve, reject) => {
        const context = currentCanaryContext();
        const metadata = new grpc.Metadata();
        if (as.credential !== undefined) metadata.set(AUTHORIZATION_METADATA_KEY, `Bearer ${as.credential}`);
        setCanaryMetadata(metadata, context);
        const endSpan = startGrpcClientSpan(path, metadata);
        const started = performance.now();
        const call = method.call(
          client,
          request,
          metadata,
          { deadline: Date.now() + deadlineMs },
          (error, response) => {
            if (error === null) resolve(response);
            else if (!write) reject(error);
            else {
              const outcome = writeOutcome(error, reachedServer(call, client.getChannel()));
              reject(Object.assign(error, { outcome }) satisfies StoreCallError);
            }
          },
        );
        // grpc-js emits 'status' right after the callback, before the awaiting handler resumes.
        call.on('status', (status: grpc.StatusObject) => {
          endSpan(status.code);
          recordServedBy(context, status.metadata);
          if (metrics === undefined) return;
          const code = { ...labels, grpc_code: grpc.status[status.code] ?? String(status.code) };
          metrics.handled.inc(code);
          metrics.duration.observe(code, (performance.now() - started) / 1000);
        });
      });
  }

  return {
    createItem: unary(client.createItem, StoreServiceService.createItem.path, true),
    getItem: unary(client.getItem, StoreServiceService.getItem.path, false),
    updateItem: unary(client.updateItem, StoreServiceService.updateItem.path, true),
    deleteItem: unary(client.deleteItem, StoreServiceService.deleteItem.path, true),
    listItems: unary(client.listItems, StoreServiceService.listItems.path, false),
    updateInventory: unary(client.updateInventory, StoreServiceService.updateInventory.path, true),
    isServing: (healthDeadlineMs) =>
      new Promise<boolean>((resolve) => {
        health.check(
          { service: '' },
          { deadline: Date.now() + healthDeadlineMs },
          // proto-loader decodes the enum as its name or its number, depending on options.
          (error, response) =>
            resolve(error === null && (response?.status === 'SERVING' || response?.status === 1)),
        );
      }),
    close() {
      client.close();
      health.close();
    },
  };
}
