import { AsyncLocalStorage } from 'node:async_hooks';

/** What one request carries through a service. */
export interface CanaryContext {
  /** The accepted routing key, if the request had a valid one. */
  readonly key: string | undefined;
  /** Served-by entries returned by downstream gRPC servers, in call order. */
  readonly downstream: string[];
}

// One store per process, even when this module is loaded twice: the telemetry preload
// (its own bundle in the images) reads the key the app's copy set.
const STORAGE = Symbol.for('canary-context.storage.v1');
const holder = globalThis as typeof globalThis & { [STORAGE]?: AsyncLocalStorage<CanaryContext> };
holder[STORAGE] ??= new AsyncLocalStorage<CanaryContext>();
const storage: AsyncLocalStorage<CanaryContext> = holder[STORAGE];

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
