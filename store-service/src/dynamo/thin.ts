// The store's DynamoDB client: DynamoDB's JSON API over undici's connection pool, signed
// with SigV4 by sigv4.ts, marshalled by marshal.ts. Chosen by measurement against the AWS
// SDK v3 (as configured before, and tuned) and aws-lite: docs/benchmarks.md, "DynamoDB client".
import type { Dispatcher } from 'undici';
// undici's pool alone: its index also loads fetch, WebSocket, the cache and more (about
// 0.8 MB of bundle and 9 MiB of memory the store has no use for).
import Pool from 'undici/lib/dispatcher/pool.js';
import {
  type CallOptions,
  ConditionFailed,
  type Doc,
  type DynamoDocuments,
  DynamoError,
  failure,
  type GetInput,
  type PutInput,
  type QueryInput,
  type QueryOutput,
  type TableOperation,
  type UpdateInput,
} from './documents.ts';
import { type AttributeValue, marshall, unmarshall } from './marshal.ts';
import { backoffMs, type CredentialSource, type Credentials, retryable, sleep } from './policy.ts';
import { SigV4Signer } from './sigv4.ts';

export interface ThinOptions {
  /** http(s)://host[:port] of DynamoDB (DynamoDB Local, the embedded store, or AWS). */
  readonly endpoint: string;
  readonly region: string;
  /** Per attempt: connecting, and waiting for the answer's headers and for its body. */
  readonly timeoutMs: number;
  /** Attempts per read (writes: only after throttling, up to the same number). */
  readonly maxAttempts: number;
  readonly credentials: CredentialSource;
  /** Connections the pool keeps at most (default 50, as the SDK's agent). */
  readonly connections?: number;
}

const TARGET = 'DynamoDB_20120810.';
const CONTENT_TYPE = 'application/x-amz-json-1.0';

/** The headers of one DynamoDB JSON API call, signed (`amzDate`: YYYYMMDDTHHMMSSZ, for tests). */
export function signDynamoRequest(
  signer: SigV4Signer,
  request: { host: string; target: string; body: string; amzDate?: string },
  credentials: Credentials,
): Record<string, string> {
  return signer.sign(
    {
      method: 'POST',
      host: request.host,
      path: '/',
      headers: {
        'content-length': String(Buffer.byteLength(request.body)),
        'content-type': CONTENT_TYPE,
        'x-amz-target': request.target,
      },
      body: request.body,
      ...(request.amzDate === undefined ? {} : { amzDate: request.amzDate }),
    },
    credentials,
  );
}

interface ErrorBody {
  __type?: string;
  message?: string;
  Message?: string;
  Item?: Record<string, AttributeValue>;
}

export class ThinDynamo implements DynamoDocuments {
  readonly kind = 'thin';
  readonly #pool: Pool;
  readonly #host: string;
  readonly #options: ThinOptions;
  readonly #signer: SigV4Signer;

  constructor(options: ThinOptions) {
    const url = new URL(options.endpoint);
    this.#host = url.host;
    this.#options = options;
    this.#signer = new SigV4Signer(options.region, 'dynamodb');
    this.#pool = new Pool(url.origin, {
      connections: options.connections ?? 50,
      connect: { timeout: options.timeoutMs },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
  }

  /** One DynamoDB JSON API call, retried by the policy (policy.ts); the answer's JSON. */
  async call(operation: string, input: object, write: boolean, signal?: AbortSignal): Promise<Doc> {
    const body = JSON.stringify(input);
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.#attempt(operation, body, signal);
      } catch (err) {
        if (attempt >= this.#options.maxAttempts || !retryable(err, write)) throw err;
        await sleep(backoffMs(attempt), signal);
      }
    }
  }

  async #attempt(operation: string, body: string, signal: AbortSignal | undefined): Promise<Doc> {
    if (signal?.aborted) throw aborted(signal);
    const headers = signDynamoRequest(
      this.#signer,
      { host: this.#host, target: TARGET + operation, body },
      await this.#options.credentials(),
    );
    let status: number;
    let text: string;
    try {
      ({ status, text } = await this.#send(body, headers, signal));
    } catch (err) {
      throw transportFailure(err, signal, this.#options.timeoutMs);
    }
    const parsed = (text === '' ? {} : JSON.parse(text)) as Doc & ErrorBody;
    if (status === 200) return parsed;
    const name =
      (parsed.__type ?? '').split('#').pop() || (status >= 500 ? 'InternalServerError' : 'UnknownError');
    const message = parsed.message ?? parsed.Message ?? `DynamoDB answered ${status}`;
    if (name === 'ConditionalCheckFailedException')
      throw new ConditionFailed(message, parsed.Item === undefined ? undefined : unmarshall(parsed.Item));
    throw new DynamoError(name, message, status);
  }

  /** One request on the pool (undici's dispatch: no stream objects), the answer's status and body. */
  #send(
    body: string,
    headers: Record<string, string>,
    signal: AbortSignal | undefined,
  ): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      let status = 0;
      const chunks: Buffer[] = [];
      let controller: Dispatcher.DispatchController | undefined;
      const onAbort = () => controller?.abort(signal?.reason ?? new Error('aborted'));
      const done = () => signal?.removeEventListener('abort', onAbort);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pool.dispatch(
        { path: '/', method: 'POST', headers, body },
        {
          onRequestStart(c) {
            controller = c;
            if (signal?.aborted) c.abort(signal.reason);
          },
          onResponseStart(_c, statusCode) {
            status = statusCode;
          },
          onResponseData(_c, chunk) {
            chunks.push(chunk);
          },
          onResponseEnd() {
            done();
            const text =
              chunks.length === 1 ? (chunks[0] as Buffer).toString() : Buffer.concat(chunks).toString();
            resolve({ status, text });
          },
          onResponseError(_c, error) {
            done();
            reject(error);
          },
        },
      );
    });
  }

  async get(input: GetInput, options?: CallOptions): Promise<Doc | undefined> {
    const out = await this.call('GetItem', { ...input, Key: marshall(input.Key) }, false, options?.signal);
    const item = out.Item as Record<string, AttributeValue> | undefined;
    return item === undefined ? undefined : unmarshall(item);
  }

  async put(input: PutInput, options?: CallOptions): Promise<void> {
    await this.call('PutItem', { ...input, Item: marshall(input.Item) }, true, options?.signal);
  }

  async update(input: UpdateInput, options?: CallOptions): Promise<Doc | undefined> {
    const values = input.ExpressionAttributeValues;
    const out = await this.call(
      'UpdateItem',
      {
        ...input,
        Key: marshall(input.Key),
        ...(values === undefined ? {} : { ExpressionAttributeValues: marshall(values) }),
      },
      true,
      options?.signal,
    );
    const attributes = out.Attributes as Record<string, AttributeValue> | undefined;
    return attributes === undefined ? undefined : unmarshall(attributes);
  }

  async query(input: QueryInput, options?: CallOptions): Promise<QueryOutput> {
    const start = input.ExclusiveStartKey;
    const out = await this.call(
      'Query',
      {
        ...input,
        ExpressionAttributeValues: marshall(input.ExpressionAttributeValues),
        ExclusiveStartKey: start === undefined ? undefined : marshall(start),
      },
      false,
      options?.signal,
    );
    const items = (out.Items ?? []) as Array<Record<string, AttributeValue>>;
    const last = out.LastEvaluatedKey as Record<string, AttributeValue> | undefined;
    return {
      Items: items.map(unmarshall),
      ScannedCount: Number(out.ScannedCount ?? items.length),
      LastEvaluatedKey: last === undefined ? undefined : unmarshall(last),
    };
  }

  table(operation: TableOperation, input: Doc): Promise<Doc> {
    return this.call(operation, input, operation !== 'DescribeTable');
  }

  close(): void {
    void this.#pool.destroy();
  }
}

function aborted(signal: AbortSignal): Error {
  const reason = signal.reason as unknown;
  return failure('AbortError', reason instanceof Error ? reason.message : 'the call was aborted', reason);
}

/** undici's failures as the interface names them (documents.ts). */
function transportFailure(err: unknown, signal: AbortSignal | undefined, timeoutMs: number): Error {
  if (signal?.aborted) return aborted(signal);
  const code = String((err as { code?: unknown } | null)?.code ?? '');
  switch (code) {
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return failure('TimeoutError', `DynamoDB did not answer within ${timeoutMs} ms`, err);
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      // Nothing was sent.
      return failure('ECONNREFUSED', `could not connect to DynamoDB (${code})`, err);
    case 'UND_ERR_SOCKET':
    case 'ECONNRESET':
    case 'EPIPE':
      return failure('ECONNRESET', 'the connection to DynamoDB was lost before its answer', err);
    default:
      return err instanceof Error ? err : new Error(String(err));
  }
}
