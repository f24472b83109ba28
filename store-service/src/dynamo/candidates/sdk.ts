// Candidates (dynamo/candidates/index.ts: sdk, sdk-tuned): the AWS SDK v3 behind the store's
// client interface, to measure against the thin client (docs/benchmarks.md).
// - sdk: as the store ran it before: two DynamoDBClients (reads retried by the standard
//   strategy, writes only after throttling), NodeHttpHandler with the per-attempt
//   timeouts, lib-dynamodb's document client for marshalling.
// - sdk-tuned: what the SDK's own settings allow: the low-level client without
//   lib-dynamodb's middleware (marshalled by marshal.ts), account-id endpoints off,
//   checksums only when required, a keep-alive agent, and an undici pool as its HTTP
//   handler (the SDK takes any object with `handle`).
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type DynamoDBClientConfig,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  QueryCommand as DocQueryCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall as sdkUnmarshall } from '@aws-sdk/util-dynamodb';
import { StandardRetryStrategy } from '@smithy/core/retry';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { RetryStrategyV2 } from '@smithy/types';
import { Pool } from 'undici';
import type { DynamoConfig } from '../../dynamodb.ts';
import {
  type CallOptions,
  ConditionFailed,
  type Doc,
  type DynamoDocuments,
  failure,
  type GetInput,
  type PutInput,
  type QueryInput,
  type QueryOutput,
  type TableOperation,
  type UpdateInput,
} from '../documents.ts';
import { type AttributeValue, marshall, unmarshall } from '../marshal.ts';

/** SdkOptions from the store's settings. */
const optionsOf = (config: DynamoConfig): SdkOptions => ({
  endpoint: config.DYNAMODB_ENDPOINT,
  region: config.AWS_REGION,
  timeoutMs: config.DYNAMODB_TIMEOUT_MS,
  maxAttempts: config.DYNAMODB_MAX_ATTEMPTS,
  local: config.DYNAMODB_ENDPOINT !== undefined,
});
export const createSdk = async (config: DynamoConfig) => sdkAsBefore(optionsOf(config));
export const createSdkTuned = async (config: DynamoConfig) => sdkTuned(optionsOf(config));

export interface SdkOptions {
  readonly endpoint: string | undefined;
  readonly region: string;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  /** Placeholder credentials (a local endpoint); otherwise the SDK's default chain. */
  readonly local: boolean;
}

/**
 * Writes are retried only after throttling, which DynamoDB answers without applying the
 * request. A timeout or a reset connection may come after the write landed, and
 * repeating an `ADD` would apply it twice, so those surface as they are instead.
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

/** The SDK's failures as the interface names them. */
function translate(err: unknown): never {
  if (err instanceof ConditionalCheckFailedException)
    throw new ConditionFailed(
      err.message,
      err.Item === undefined ? undefined : sdkUnmarshall(err.Item as Parameters<typeof sdkUnmarshall>[0]),
    );
  throw err;
}

function clients(options: SdkOptions, extra: Partial<DynamoDBClientConfig>) {
  const make = (retryStrategy: RetryStrategyV2) =>
    new DynamoDBClient({
      region: options.region,
      retryStrategy,
      ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
      ...(options.local && process.env.AWS_ACCESS_KEY_ID === undefined
        ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
        : {}),
      ...extra,
    });
  return {
    reads: make(new StandardRetryStrategy(options.maxAttempts)),
    writes: make(throttlingOnly(new StandardRetryStrategy(options.maxAttempts))),
  };
}

const tableCommand = (operation: TableOperation, input: Doc) =>
  operation === 'CreateTable'
    ? new CreateTableCommand(input as unknown as ConstructorParameters<typeof CreateTableCommand>[0])
    : operation === 'DescribeTable'
      ? new DescribeTableCommand(input as unknown as ConstructorParameters<typeof DescribeTableCommand>[0])
      : new DeleteTableCommand(input as unknown as ConstructorParameters<typeof DeleteTableCommand>[0]);

/** The SDK as the store was configured before the thin client. */
export function sdkAsBefore(options: SdkOptions): DynamoDocuments {
  const { reads, writes } = clients(options, {
    requestHandler: new NodeHttpHandler({
      connectionTimeout: options.timeoutMs,
      requestTimeout: options.timeoutMs,
      throwOnRequestTimeout: true,
      socketTimeout: options.timeoutMs,
    }),
  });
  const docOptions = { marshallOptions: { removeUndefinedValues: true } };
  const db = DynamoDBDocumentClient.from(reads, docOptions);
  const writeDb = DynamoDBDocumentClient.from(writes, docOptions);
  const with_ = (o?: CallOptions) => ({ abortSignal: o?.signal });
  return {
    kind: 'sdk',
    async get(input: GetInput, o?: CallOptions) {
      return (await db.send(new GetCommand(input), with_(o)).catch(translate)).Item;
    },
    async put(input: PutInput, o?: CallOptions) {
      await writeDb.send(new PutCommand(input), with_(o)).catch(translate);
    },
    async update(input: UpdateInput, o?: CallOptions) {
      return (await writeDb.send(new UpdateCommand(input), with_(o)).catch(translate)).Attributes;
    },
    async query(input: QueryInput, o?: CallOptions): Promise<QueryOutput> {
      const out = await db.send(new DocQueryCommand(input), with_(o)).catch(translate);
      const items = out.Items ?? [];
      return {
        Items: items,
        ScannedCount: out.ScannedCount ?? items.length,
        LastEvaluatedKey: out.LastEvaluatedKey,
      };
    },
    async table(operation: TableOperation, input: Doc) {
      return (await reads.send(tableCommand(operation, input) as never)) as unknown as Doc;
    },
    close() {
      reads.destroy();
      writes.destroy();
    },
  };
}

/** An HTTP handler for the SDK on an undici pool (the SDK's `requestHandler` interface). */
class UndiciHandler {
  readonly #pools = new Map<string, Pool>();
  readonly #timeoutMs: number;
  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }
  async handle(
    request: {
      protocol: string;
      hostname: string;
      port?: number;
      method: string;
      path: string;
      query?: Record<string, string | string[] | null>;
      headers: Record<string, string>;
      body?: unknown;
    },
    options?: { abortSignal?: AbortSignal },
  ) {
    const origin = `${request.protocol}//${request.hostname}${request.port === undefined ? '' : `:${request.port}`}`;
    let pool = this.#pools.get(origin);
    if (pool === undefined) {
      pool = new Pool(origin, {
        connections: 50,
        connect: { timeout: this.#timeoutMs },
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
      });
      this.#pools.set(origin, pool);
    }
    const signal = options?.abortSignal;
    try {
      const response = await pool.request({
        path: request.path,
        method: request.method as 'POST',
        headers: request.headers,
        body: request.body as string,
        ...(signal === undefined ? {} : { signal }),
      });
      const body = new Uint8Array(await response.body.arrayBuffer());
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(response.headers)) if (typeof v === 'string') headers[k] = v;
      return { response: { statusCode: response.statusCode, reason: undefined, headers, body } };
    } catch (err) {
      if (signal?.aborted) throw failure('AbortError', 'the call was aborted', err);
      const code = String((err as { code?: unknown }).code ?? '');
      if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT')
        throw failure('TimeoutError', `DynamoDB did not answer within ${this.#timeoutMs} ms`, err);
      if (code === 'UND_ERR_SOCKET') throw failure('ECONNRESET', 'connection lost', err);
      if (code === 'UND_ERR_CONNECT_TIMEOUT') throw failure('ECONNREFUSED', 'could not connect', err);
      throw err;
    }
  }
  updateHttpClientConfig() {}
  httpHandlerConfigs() {
    return {};
  }
  destroy() {
    for (const pool of this.#pools.values()) void pool.destroy();
  }
}

type Wire = Record<string, AttributeValue>;
const wire = (doc: Doc) => marshall(doc) as never;

/** The SDK with what its own settings allow (see the top of this file). */
export function sdkTuned(options: SdkOptions): DynamoDocuments {
  const handler = new UndiciHandler(options.timeoutMs);
  const { reads, writes } = clients(options, {
    requestHandler: handler,
    accountIdEndpointMode: 'disabled',
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  } as Partial<DynamoDBClientConfig>);
  const with_ = (o?: CallOptions) => ({ abortSignal: o?.signal });
  const fromWire = (item: unknown) => (item === undefined ? undefined : unmarshall(item as Wire));
  const translateWire = (err: unknown): never => {
    if (err instanceof ConditionalCheckFailedException)
      throw new ConditionFailed(err.message, fromWire(err.Item));
    throw err;
  };
  return {
    kind: 'sdk-tuned',
    async get(input: GetInput, o?: CallOptions) {
      const out = await reads
        .send(new GetItemCommand({ ...input, Key: wire(input.Key) }), with_(o))
        .catch(translateWire);
      return fromWire(out.Item);
    },
    async put(input: PutInput, o?: CallOptions) {
      await writes
        .send(new PutItemCommand({ ...input, Item: wire(input.Item) }), with_(o))
        .catch(translateWire);
    },
    async update(input: UpdateInput, o?: CallOptions) {
      const values = input.ExpressionAttributeValues;
      const out = await writes
        .send(
          new UpdateItemCommand({
            ...input,
            Key: wire(input.Key),
            ExpressionAttributeValues: values === undefined ? undefined : wire(values),
          }),
          with_(o),
        )
        .catch(translateWire);
      return fromWire(out.Attributes);
    },
    async query(input: QueryInput, o?: CallOptions): Promise<QueryOutput> {
      const start = input.ExclusiveStartKey;
      const out = await reads
        .send(
          new QueryCommand({
            ...input,
            ExpressionAttributeValues: wire(input.ExpressionAttributeValues),
            ExclusiveStartKey: start === undefined ? undefined : wire(start),
          }),
          with_(o),
        )
        .catch(translateWire);
      const items = (out.Items ?? []).map((i) => unmarshall(i as Wire));
      return {
        Items: items,
        ScannedCount: out.ScannedCount ?? items.length,
        LastEvaluatedKey: fromWire(out.LastEvaluatedKey),
      };
    },
    async table(operation: TableOperation, input: Doc) {
      return (await reads.send(tableCommand(operation, input) as never)) as unknown as Doc;
    },
    close() {
      reads.destroy();
      writes.destroy();
      handler.destroy();
    },
  };
}
