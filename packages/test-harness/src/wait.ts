/**
 * Tests wait on conditions, never on the clock: `waitFor` polls a condition until it holds
 * and fails, naming what it waited for, once the timeout has passed. Every wait is bounded.
 */
export interface WaitOptions {
  /** Give up (reject) after this many milliseconds. */
  readonly timeout: number;
  /** Milliseconds between two attempts; 20 unless told. */
  readonly interval?: number;
  /**
   * What is awaited, for the failure message ("the store to answer SERVING"); a function is
   * called when the wait fails, so the message can show the state at that moment.
   */
  readonly what?: string | (() => string);
}

type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>;

/**
 * Resolves with the condition's first truthy value. A condition that throws counts as
 * "not yet"; the last error is the failure's cause.
 */
export async function waitFor<T>(condition: () => T | Promise<T>, options: WaitOptions): Promise<Truthy<T>> {
  const { timeout, interval = 20, what = 'the condition' } = options;
  const deadline = performance.now() + timeout;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value as Truthy<T>;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    const left = deadline - performance.now();
    if (left <= 0) {
      const why = lastError === undefined ? '' : ` (last attempt: ${String(lastError)})`;
      const described = typeof what === 'function' ? what() : what;
      throw new Error(`waited ${timeout} ms for ${described}${why}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(interval, left)));
  }
}
