import { AsyncLocalStorage } from 'node:async_hooks';

/** What one request carries through a service. */
export interface CanaryContext {
  /** The accepted routing key, if the request had a valid one. */
  readonly key: string | undefined;
  /** Served-by entries returned by downstream gRPC servers, in call order. */
  readonly downstream: string[];
}

const storage = new AsyncLocalStorage<CanaryContext>();

export function createCanaryContext(key: string | undefined): CanaryContext {
  return { key, downstream: [] };
}

/** Runs `fn` with `context` as the current request context. */
export function runWithCanaryContext<T>(context: CanaryContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The current request's context, or undefined outside a request. */
export function currentCanaryContext(): CanaryContext | undefined {
  return storage.getStore();
}

/** The current request's routing key, or undefined. */
export function currentCanaryKey(): string | undefined {
  return storage.getStore()?.key;
}
