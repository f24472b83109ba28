/**
 * At most `limit` pieces of work at a time per key, the rest waiting in arrival order
 * (different keys do not wait for each other).
 */
export class KeyLimiter {
  readonly #limit: number;
  readonly #slots = new Map<string, { running: number; waiting: Array<() => void> }>();

  constructor(limit: number) {
    this.#limit = limit;
  }

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    let slot = this.#slots.get(key);
    if (slot === undefined) {
      slot = { running: 0, waiting: [] };
      this.#slots.set(key, slot);
    }
    if (slot.running >= this.#limit) {
      const queued = slot;
      await new Promise<void>((resolve) => queued.waiting.push(resolve));
    }
    slot.running += 1;
    try {
      return await work();
    } finally {
      slot.running -= 1;
      const next = slot.waiting.shift();
      if (next !== undefined) next();
      else if (slot.running === 0) this.#slots.delete(key);
    }
  }
}
