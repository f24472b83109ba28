import { invalidArgument } from '../domain/errors.ts';
import type { Item, ItemChanges, ListFilter } from '../domain/item.ts';
import type { InventoryOutcome, ItemRepository, Page, StoredItem, UpdateOutcome } from './repository.ts';

/**
 * ItemRepository in process memory, with the DynamoDB repository's semantics (the shared
 * contract tests in test/repository-contract.ts hold both to them): the same list orders
 * (by id; by status then id under a category filter), every mutation checked and applied
 * in one step. For tests and benchmarks without a database; nothing is persisted.
 */
export class InMemoryItemRepository implements ItemRepository {
  readonly #tenants = new Map<string, Map<string, StoredItem>>();

  #tenant(tenantId: string): Map<string, StoredItem> {
    let items = this.#tenants.get(tenantId);
    if (items === undefined) {
      items = new Map();
      this.#tenants.set(tenantId, items);
    }
    return items;
  }

  async get(tenantId: string, id: string): Promise<Item | null> {
    return this.#tenants.get(tenantId)?.get(id)?.item ?? null;
  }

  async createIfAbsent(item: Item, requestHash: string | undefined) {
    const items = this.#tenant(item.tenantId);
    const existing = items.get(item.id);
    if (existing !== undefined) return { created: false, stored: existing };
    const stored: StoredItem = { item, requestHash };
    items.set(item.id, stored);
    return { created: true, stored };
  }

  async update(
    tenantId: string,
    id: string,
    expectedVersion: number,
    changes: ItemChanges,
    by: string,
    at: string,
  ): Promise<UpdateOutcome> {
    const stored = this.#tenants.get(tenantId)?.get(id);
    if (stored === undefined) return { kind: 'not_found' };
    if (stored.item.version !== expectedVersion)
      return { kind: 'version_conflict', currentVersion: stored.item.version };
    const item: Item = {
      ...stored.item,
      ...changes,
      version: stored.item.version + 1,
      updatedAt: at,
      updatedBy: by,
    };
    this.#tenant(tenantId).set(id, { ...stored, item });
    return { kind: 'updated', item };
  }

  async adjustInventory(
    tenantId: string,
    id: string,
    delta: number,
    by: string,
    at: string,
  ): Promise<InventoryOutcome> {
    const stored = this.#tenants.get(tenantId)?.get(id);
    if (stored === undefined) return { kind: 'not_found' };
    const previousCount = stored.item.inventoryCount;
    if (previousCount + delta < 0) return { kind: 'insufficient', available: previousCount };
    const item: Item = {
      ...stored.item,
      inventoryCount: previousCount + delta,
      version: stored.item.version + 1,
      updatedAt: at,
      updatedBy: by,
    };
    this.#tenant(tenantId).set(id, { ...stored, item });
    return { kind: 'updated', item, previousCount };
  }

  async list(
    tenantId: string,
    filter: ListFilter,
    pageSize: number,
    after: Record<string, string> | undefined,
  ): Promise<Page> {
    if (after !== undefined && (Object.keys(after).length !== 1 || typeof after.key !== 'string'))
      throw invalidArgument('page_token', 'does not belong to this query');
    // The order the DynamoDB layout gives: by id, or by status then id within a category.
    const sortKey = (item: Item) => (filter.category === undefined ? item.id : `${item.status}#${item.id}`);
    const matches = [...(this.#tenants.get(tenantId)?.values() ?? [])]
      .map((s) => s.item)
      .filter(
        (item) =>
          (filter.category === undefined || item.category === filter.category) &&
          (filter.status === undefined || item.status === filter.status) &&
          (filter.search === undefined ||
            `${item.name}\n${item.description}`.toLowerCase().includes(filter.search)),
      )
      .map((item) => ({ item, key: sortKey(item) }))
      .filter(({ key }) => after?.key === undefined || key > after.key)
      .sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
    const page = matches.slice(0, pageSize);
    const last = page.at(-1);
    return {
      items: page.map(({ item }) => item),
      next: matches.length > pageSize && last !== undefined ? { key: last.key } : undefined,
    };
  }

  async ping(): Promise<void> {}
}
