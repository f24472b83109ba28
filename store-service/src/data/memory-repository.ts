import { invalidArgument } from '../domain/errors.ts';
import type { Item, ItemChanges, ListFilter } from '../domain/item.ts';
import {
  type InventoryChange,
  type InventoryOutcome,
  type ItemRepository,
  type ListOptions,
  type Page,
  REMEMBERED_REQUESTS,
  type RepositoryOptions,
  requestsToForget,
  type StoredItem,
  statusAfterStockChange,
  type UpdateOutcome,
} from './repository.ts';

interface Row extends StoredItem {
  /** Stock-change request id → its hash, the stock before it and when it was recorded. */
  readonly requests: ReadonlyMap<
    string,
    { readonly hash: string; readonly previous: number; readonly at: string }
  >;
}

/**
 * ItemRepository in process memory, with the DynamoDB repository's semantics (the shared
 * contract tests in test/repository-contract.ts hold both to them): the same orders (by
 * id; by status then id under a category filter), the same scan budget (filtering by
 * category and status narrows what is read, search does not), every mutation checked and
 * applied in one step. For tests and benchmarks without a database; nothing is persisted.
 */
export class InMemoryItemRepository implements ItemRepository {
  readonly #tenants = new Map<string, Map<string, Row>>();
  readonly #rememberedRequests: number;

  constructor(options: RepositoryOptions = {}) {
    this.#rememberedRequests = options.rememberedRequests ?? REMEMBERED_REQUESTS;
  }

  #tenant(tenantId: string): Map<string, Row> {
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
    if (existing !== undefined)
      return { created: false, stored: { item: existing.item, requestHash: existing.requestHash } };
    items.set(item.id, { item, requestHash, requests: new Map() });
    return { created: true, stored: { item, requestHash } };
  }

  async update(
    tenantId: string,
    id: string,
    expectedVersion: number,
    changes: ItemChanges,
    by: string,
    at: string,
  ): Promise<UpdateOutcome> {
    const row = this.#tenants.get(tenantId)?.get(id);
    if (row === undefined) return { kind: 'not_found' };
    if (row.item.version !== expectedVersion)
      return { kind: 'version_conflict', currentVersion: row.item.version };
    const item: Item = {
      ...row.item,
      ...changes,
      version: row.item.version + 1,
      updatedAt: at,
      updatedBy: by,
    };
    this.#tenant(tenantId).set(id, { ...row, item });
    return { kind: 'updated', item };
  }

  async adjustInventory(change: InventoryChange): Promise<InventoryOutcome> {
    const { tenantId, id, delta, request } = change;
    const row = this.#tenants.get(tenantId)?.get(id);
    if (row === undefined) return { kind: 'not_found' };
    const seen = request === undefined ? undefined : row.requests.get(request.id);
    if (request !== undefined && seen !== undefined) {
      return seen.hash === request.hash
        ? { kind: 'replayed', item: row.item, previousCount: seen.previous }
        : { kind: 'request_conflict' };
    }
    const previousCount = row.item.inventoryCount;
    const count = previousCount + delta;
    if (count < 0) return { kind: 'insufficient', available: previousCount };
    if (count > change.ceiling) return { kind: 'over_limit', available: previousCount };
    const status = statusAfterStockChange(row.item.status, count);
    const item: Item = {
      ...row.item,
      inventoryCount: count,
      status,
      // The stock change, and the status correction when there is one (as in DynamoDB).
      version: row.item.version + (status === row.item.status ? 1 : 2),
      updatedAt: change.at,
      updatedBy: change.by,
    };
    const requests = new Map(row.requests);
    if (request !== undefined) {
      requests.set(request.id, { hash: request.hash, previous: previousCount, at: change.at });
      const recorded = [...requests].map(([rid, r]) => [rid, r.at] as const);
      for (const rid of requestsToForget(recorded, this.#rememberedRequests)) requests.delete(rid);
    }
    this.#tenant(tenantId).set(id, { ...row, item, requests });
    return { kind: 'updated', item, previousCount };
  }

  async list(
    tenantId: string,
    filter: ListFilter,
    after: Record<string, string> | undefined,
    options: ListOptions,
  ): Promise<Page> {
    if (after !== undefined && (Object.keys(after).length !== 1 || typeof after.key !== 'string'))
      throw invalidArgument('page_token', 'does not belong to this query');
    // What an index would hold (category and status are keys), in its order.
    const sortKey = (item: Item) => (filter.category === undefined ? item.id : `${item.status}#${item.id}`);
    const indexed = [...(this.#tenants.get(tenantId)?.values() ?? [])]
      .map((r) => r.item)
      .filter(
        (item) =>
          (filter.category === undefined || item.category === filter.category) &&
          (filter.status === undefined || item.status === filter.status),
      )
      .map((item) => ({ item, key: sortKey(item) }))
      .filter(({ key }) => after?.key === undefined || key > after.key)
      .sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
    const found: Array<{ item: Item; key: string }> = [];
    let scanned = 0;
    for (const entry of indexed) {
      if (found.length > options.pageSize || scanned >= options.budget) break;
      scanned += 1;
      const { item } = entry;
      if (
        filter.search === undefined ||
        `${item.name}\n${item.description}`.toLowerCase().includes(filter.search)
      )
        found.push(entry);
    }
    const page = found.slice(0, options.pageSize);
    const last = page.at(-1);
    const lastRead = indexed[scanned - 1];
    const next =
      found.length > options.pageSize && last !== undefined
        ? { key: last.key }
        : scanned < indexed.length && lastRead !== undefined
          ? { key: lastRead.key }
          : undefined;
    return { items: page.map(({ item }) => item), next, scanned };
  }

  async ping(): Promise<void> {}
}
