import type { Item, ItemChanges, ListFilter } from '../domain/item.ts';

/** A stored item plus what idempotent creation needs to recognise its retries. */
export interface StoredItem {
  readonly item: Item;
  /** Fingerprint of the create request that made it, when it carried a request id. */
  readonly requestHash: string | undefined;
}

/** What every call may carry: the caller's deadline, as a signal that aborts the work. */
export interface CallOptions {
  readonly signal?: AbortSignal;
}

export interface ListOptions extends CallOptions {
  readonly pageSize: number;
  /**
   * The most items this call may read (evaluate) from the table, matching or not. When it
   * runs out, the page holds what matched so far, and `next` continues the scan.
   */
  readonly budget: number;
}

export interface Page {
  readonly items: readonly Item[];
  /** Where the next page starts; undefined only at the end. Opaque to the domain. */
  readonly next: Record<string, string> | undefined;
  /** Items read (evaluated) for this page. */
  readonly scanned: number;
}

export type UpdateOutcome =
  | { readonly kind: 'updated'; readonly item: Item }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'version_conflict'; readonly currentVersion: number };

/** Stock-change request ids an item keeps by default (see requestsToForget). */
export const REMEMBERED_REQUESTS = 500;

export interface RepositoryOptions {
  /** Stock-change request ids an item keeps at most (default REMEMBERED_REQUESTS). */
  readonly rememberedRequests?: number;
}

/**
 * The request ids an item forgets after a keyed stock change, the same in every
 * repository: none while it keeps at most `remembered`; past that, the oldest fifth (by
 * the time each change was recorded). Forgetting in batches keeps it to one extra write
 * per `remembered / 5` keyed changes, and it makes the guarantee: an id is forgotten only
 * once more than `remembered - remembered / 5` keyed changes to the item came after it
 * (400 of 500). A retry within that window is recognised; after it, the id counts as new.
 */
export function requestsToForget(
  recorded: ReadonlyArray<readonly [id: string, at: string]>,
  remembered: number,
): string[] {
  if (recorded.length <= remembered) return [];
  return [...recorded]
    .sort(([, a], [, b]) => (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, Math.ceil(remembered / 5))
    .map(([id]) => id);
}

/** The changes after which an id may be forgotten: it is remembered while at most this many came after it. */
export const guaranteedRequests = (remembered: number) => remembered - Math.ceil(remembered / 5);

/** One stock change. With a request id, a repeat returns the first result instead of applying again. */
export interface InventoryChange {
  readonly tenantId: string;
  readonly id: string;
  readonly delta: number;
  readonly by: string;
  readonly at: string;
  /** Highest stock allowed after the change. */
  readonly ceiling: number;
  readonly request?: { readonly id: string; readonly hash: string };
}

export type InventoryOutcome =
  | { readonly kind: 'updated'; readonly item: Item; readonly previousCount: number }
  /** The request id was seen with the same change: nothing applied, the first call's previous count. */
  | { readonly kind: 'replayed'; readonly item: Item; readonly previousCount: number }
  /** The request id was seen with a different change. */
  | { readonly kind: 'request_conflict' }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'insufficient'; readonly available: number }
  | { readonly kind: 'over_limit'; readonly available: number }
  /**
   * Nothing applied: every attempt met the item changing under it (its condition failed,
   * and the item as read afterwards allowed the change). Only under extreme contention.
   */
  | { readonly kind: 'contended'; readonly attempts: number };

/**
 * Persistence for items. Every method is scoped to one tenant; every mutation is a single
 * conditional write (plus, for stock, a status correction that is itself conditional),
 * so concurrent callers never lose an update. Stock changes keep the status in step: an
 * active item that reaches 0 becomes out_of_stock, an out_of_stock item that gets stock
 * becomes active, a discontinued item stays discontinued.
 */
export interface ItemRepository {
  /** null when the tenant has no such item. */
  get(tenantId: string, id: string, options?: CallOptions): Promise<Item | null>;
  /** Writes the item unless one with its id exists; then returns the existing one. */
  createIfAbsent(
    item: Item,
    requestHash: string | undefined,
    options?: CallOptions,
  ): Promise<{ created: boolean; stored: StoredItem }>;
  update(
    tenantId: string,
    id: string,
    expectedVersion: number,
    changes: ItemChanges,
    by: string,
    at: string,
    options?: CallOptions,
  ): Promise<UpdateOutcome>;
  /** Adds delta to the stock in one atomic conditional write; never below zero or above the ceiling. */
  adjustInventory(change: InventoryChange, options?: CallOptions): Promise<InventoryOutcome>;
  list(
    tenantId: string,
    filter: ListFilter,
    after: Record<string, string> | undefined,
    options: ListOptions,
  ): Promise<Page>;
  /** Whether the backing store answers (for health checks). */
  ping(): Promise<void>;
}

/** The status a stock change leads to (see ItemRepository). */
export function statusAfterStockChange(status: Item['status'], count: number): Item['status'] {
  if (status === 'active' && count === 0) return 'out_of_stock';
  if (status === 'out_of_stock' && count > 0) return 'active';
  return status;
}
