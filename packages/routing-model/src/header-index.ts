/**
 * Items filed under a (header name, value) pair, so that finding the ones a request's
 * headers select costs the same with 1 or 1,000 of them. Used by both routing tables.
 */
export class HeaderIndex<T> {
  readonly #items = new Map<string, T[]>();
  readonly #names = new Set<string>();

  add(name: string, value: string, item: T): void {
    const key = `${name}\0${value}`;
    const list = this.#items.get(key) ?? [];
    if (!list.includes(item)) list.push(item);
    this.#items.set(key, list);
    this.#names.add(name);
  }

  /** Items filed under any value the headers carry (a repeated header: each of its values). */
  lookup(headers: Readonly<Record<string, string | readonly string[] | undefined>>): T[] {
    const found: T[] = [];
    for (const name of this.#names) {
      const value = headers[name];
      for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) {
        found.push(...(this.#items.get(`${name}\0${v}`) ?? []));
      }
    }
    return found;
  }
}
