// What every client of the store does alike: which failures are retried, the backoff, and
// where credentials come from.
import { failure } from './documents.ts';

/** DynamoDB refused the request for load: nothing was applied, any call may be repeated. */
const THROTTLING = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
]);
/** Failures a read may repeat (a write may have landed: never repeated). */
const TRANSIENT_NAMES = new Set(['InternalServerError', 'ServiceUnavailable', 'TimeoutError']);
const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED']);

/** Whether another attempt may follow this failure: reads after any transient one, writes only after throttling. */
export function retryable(err: unknown, write: boolean): boolean {
  const name = err instanceof Error ? err.name : '';
  if (THROTTLING.has(name)) return true;
  if (write || name === 'AbortError') return false;
  const code = String((err as { code?: unknown } | null)?.code ?? '');
  return TRANSIENT_NAMES.has(name) || TRANSIENT_CODES.has(code);
}

/** Full-jitter exponential backoff, as the AWS SDKs: up to 100 ms × 2^(attempt−1), at most 20 s. */
export function backoffMs(attempt: number): number {
  return Math.random() * Math.min(20_000, 100 * 2 ** (attempt - 1));
}

/** Waits, unless the signal aborts first (then rejects with an AbortError). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const abort = () => {
      clearTimeout(timer);
      reject(failure('AbortError', 'the call was aborted while waiting to retry', signal?.reason));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', abort);
      resolve();
    }, ms);
    if (signal?.aborted) abort();
    else signal?.addEventListener('abort', abort, { once: true });
  });
}

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

export type CredentialSource = () => Promise<Credentials>;

/**
 * Credentials for signing: placeholders against a local endpoint (DynamoDB Local, the
 * lab's embedded store) unless the environment sets some; otherwise the AWS SDK's
 * default provider chain (environment, the pod's identity: IRSA's web identity or EKS Pod
 * Identity, …), loaded only then, kept until five minutes before they expire.
 */
export function credentialSource(options: { local: boolean }): CredentialSource {
  if (options.local && process.env.AWS_ACCESS_KEY_ID === undefined) {
    const local = Promise.resolve({ accessKeyId: 'local', secretAccessKey: 'local' });
    return () => local;
  }
  let current: Promise<Credentials> | undefined;
  let expires = Number.POSITIVE_INFINITY;
  const load = async (): Promise<Credentials> => {
    const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
    const credentials = await defaultProvider()();
    expires = credentials.expiration?.getTime() ?? Number.POSITIVE_INFINITY;
    return credentials;
  };
  return () => {
    if (current === undefined || Date.now() > expires - 5 * 60_000) {
      expires = Number.POSITIVE_INFINITY;
      current = load().catch((err: unknown) => {
        current = undefined;
        throw err;
      });
    }
    return current;
  };
}
