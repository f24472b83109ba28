import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { StandardRetryStrategy } from '@smithy/core/retry';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { RetryStrategyV2 } from '@smithy/types';
import type { StoreConfig } from './config.ts';

/**
 * Writes are retried only after throttling, which DynamoDB answers without applying the
 * request. A timeout or a reset connection may come after the write landed, and
 * repeating an `ADD` would apply it twice, so those surface as UNAVAILABLE instead.
 */
export function throttlingOnly(inner: RetryStrategyV2): RetryStrategyV2 {
  return {
    acquireInitialRetryToken: (scope) => inner.acquireInitialRetryToken(scope),
    refreshRetryTokenForRetry: (token, info) =>
      info.errorType === 'THROTTLING'
        ? inner.refreshRetryTokenForRetry(token, info)
        : Promise.reject(info.error),
    recordSuccess: (token) => inner.recordSuccess(token),
  };
}

export interface DynamoClients {
  /** Gets and queries: retried with backoff on any transient failure. */
  readonly reads: DynamoDBClient;
  /** Puts and updates: retried only when DynamoDB throttled them. */
  readonly writes: DynamoDBClient;
  destroy(): void;
}

/**
 * The DynamoDB clients. In AWS, credentials come from the pod's identity through the
 * default provider chain; against a local endpoint (DynamoDB Local, the lab's embedded
 * store) placeholder credentials are used unless the environment sets some.
 */
export function createDynamoClients(config: StoreConfig): DynamoClients {
  const local = config.DYNAMODB_ENDPOINT !== undefined && process.env.AWS_ACCESS_KEY_ID === undefined;
  const make = (retryStrategy: RetryStrategyV2) =>
    new DynamoDBClient({
      region: config.AWS_REGION,
      retryStrategy,
      requestHandler: new NodeHttpHandler({
        connectionTimeout: config.DYNAMODB_TIMEOUT_MS,
        requestTimeout: config.DYNAMODB_TIMEOUT_MS,
        // Without this the request timeout only logs a warning and the request runs on.
        throwOnRequestTimeout: true,
        socketTimeout: config.DYNAMODB_TIMEOUT_MS,
      }),
      ...(config.DYNAMODB_ENDPOINT === undefined ? {} : { endpoint: config.DYNAMODB_ENDPOINT }),
      ...(local ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
    });
  const reads = make(new StandardRetryStrategy(config.DYNAMODB_MAX_ATTEMPTS));
  const writes = make(throttlingOnly(new StandardRetryStrategy(config.DYNAMODB_MAX_ATTEMPTS)));
  return {
    reads,
    writes,
    destroy() {
      reads.destroy();
      writes.destroy();
    },
  };
}
