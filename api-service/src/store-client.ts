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
  StoreServiceClient,
  StoreServiceService,
  type UpdateInventoryRequest,
  type UpdateInventoryResponse,
  type UpdateItemRequest,
  type UpdateItemResponse,
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

/** Failures that mean the call never reached a store: nothing can have been applied. */
const NOT_SENT =
  /No connection established|ECONNREFUSED|is not serving|failed to connect|Name resolution failed/i;

/**
 * grpc-js could not encode the request (a value its message cannot hold, such as an int64
 * past 2^63): it failed before a byte was sent. The api's schemas refuse such values
 * first; this keeps one that slips through from being reported as "may have been applied".
 */
const NOT_ENCODED = /^Request message serialization failure/;

/**
 * Whether a failed write may have been applied: the store said so (`x-outcome: unknown`),
 * the deadline passed or the call was cut while in flight. A refused connection, or a
 * route with no backend, sent nothing.
 */
export function outcomeUnknown(error: grpc.ServiceError): boolean {
  if (error.metadata?.get('x-outcome')[0] === 'unknown') return true;
  if (NOT_ENCODED.test(error.details)) return false;
  if (error.code === grpc.status.DEADLINE_EXCEEDED || error.code === grpc.status.CANCELLED) return true;
  if (error.code === grpc.status.INTERNAL) return true;
  return (
    error.code === grpc.status.UNAVAILABLE &&
    !NOT_SENT.test(error.details) &&
    !/nothing was changed/.test(error.details)
  );
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
            else
              reject(write && outcomeUnknown(error) ? Object.assign(error, { outcomeUnknown: true }) : error);
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
