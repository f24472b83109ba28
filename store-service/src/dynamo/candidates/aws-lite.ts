// Candidate (dynamo/candidates/index.ts: aws-lite): @aws-lite/client with its DynamoDB plugin
// behind the store's client interface, to measure against the thin client. It has no
// AbortSignal and no request timeout: here the call stops waiting at the caller's
// deadline or the attempt timeout, but the request itself runs on (one of the reasons it
// is not the store's client; docs/benchmarks.md). Its own retries are off (any failure
// would be retried, writes too); policy.ts retries as for the other clients.
import awsLite from '@aws-lite/client';
import dynamodbPlugin from '@aws-lite/dynamodb';
import type { DynamoConfig } from '../../dynamodb.ts';
import {
  type CallOptions,
  ConditionFailed,
  type Doc,
  type DynamoDocuments,
  failure,
  type QueryOutput,
  type TableOperation,
} from '../documents.ts';
import { type AttributeValue, marshall, unmarshall } from '../marshal.ts';
import { backoffMs, type CredentialSource, credentialSource, retryable, sleep } from '../policy.ts';

export const createAwsLite = (config: DynamoConfig) =>
  awsLiteClient({
    endpoint: config.DYNAMODB_ENDPOINT,
    region: config.AWS_REGION,
    timeoutMs: config.DYNAMODB_TIMEOUT_MS,
    maxAttempts: config.DYNAMODB_MAX_ATTEMPTS,
    credentials: credentialSource({ local: config.DYNAMODB_ENDPOINT !== undefined }),
  });

export interface AwsLiteOptions {
  readonly endpoint: string | undefined;
  readonly region: string;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  readonly credentials: CredentialSource;
}

type Method = (input: Doc) => Promise<Doc>;

export async function awsLiteClient(options: AwsLiteOptions): Promise<DynamoDocuments> {
  const credentials = await options.credentials();
  const aws = (await awsLite({
    region: options.region,
    accessKeyId: credentials.accessKeyId,
    secretAccessKey: credentials.secretAccessKey,
    ...(credentials.sessionToken === undefined ? {} : { sessionToken: credentials.sessionToken }),
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    plugins: [dynamodbPlugin],
    retries: 0,
    keepAlive: true,
  })) as unknown as { DynamoDB: Record<string, Method> };
  const db = aws.DynamoDB;
  const method = (name: string): Method => {
    const m = db[name];
    if (m === undefined) throw new Error(`@aws-lite/dynamodb has no ${name}`);
    return m;
  };

  /** One attempt, given up (not cancelled) at the signal or the timeout. */
  const attempt = (name: string, input: Doc, signal: AbortSignal | undefined) =>
    new Promise<Doc>((resolve, reject) => {
      const stop = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        stop();
        reject(failure('AbortError', 'the call was aborted', signal?.reason));
      };
      const timer = setTimeout(() => {
        stop();
        reject(failure('TimeoutError', `DynamoDB did not answer within ${options.timeoutMs} ms`));
      }, options.timeoutMs);
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      method(name)(input).then(
        (out) => {
          stop();
          resolve(out);
        },
        (err: unknown) => {
          stop();
          const e = err as Error & { Item?: Record<string, AttributeValue> };
          if (e.name === 'ConditionalCheckFailedException')
            reject(new ConditionFailed(e.message, e.Item === undefined ? undefined : unmarshall(e.Item)));
          else {
            // aws-lite wraps socket errors in its own, with the code only in the message.
            const code = /\b(ECONNRESET|EPIPE|ECONNREFUSED|socket hang up)\b/.exec(e.message)?.[1];
            if (code === undefined) reject(err);
            else if (code === 'ECONNREFUSED') reject(failure('ECONNREFUSED', e.message, err));
            else reject(failure('ECONNRESET', e.message, err));
          }
        },
      );
    });

  const call = async (name: string, input: Doc, write: boolean, signal?: AbortSignal) => {
    for (let n = 1; ; n += 1) {
      try {
        return await attempt(name, input, signal);
      } catch (err) {
        if (n >= options.maxAttempts || !retryable(err, write)) throw err;
        await sleep(backoffMs(n), signal);
      }
    }
  };

  return {
    kind: 'aws-lite',
    async get(input, o?: CallOptions) {
      return (await call('GetItem', { ...input }, false, o?.signal)).Item as Doc | undefined;
    },
    async put(input, o?: CallOptions) {
      await call('PutItem', { ...input }, true, o?.signal);
    },
    async update(input, o?: CallOptions) {
      return (await call('UpdateItem', { ...input }, true, o?.signal)).Attributes as Doc | undefined;
    },
    async query(input, o?: CallOptions): Promise<QueryOutput> {
      const start = input.ExclusiveStartKey;
      const out = await call(
        'Query',
        { ...input, ExclusiveStartKey: start === undefined ? undefined : marshall(start), paginate: false },
        false,
        o?.signal,
      );
      const items = (out.Items ?? []) as Doc[];
      const last = out.LastEvaluatedKey as Record<string, AttributeValue> | undefined;
      return {
        Items: items,
        ScannedCount: Number(out.ScannedCount ?? items.length),
        LastEvaluatedKey: last === undefined ? undefined : unmarshall(last),
      };
    },
    async table(operation: TableOperation, input: Doc) {
      return call(operation, input, operation !== 'DescribeTable');
    },
    close() {},
  };
}
