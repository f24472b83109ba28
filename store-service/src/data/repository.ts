import type { Item, ItemChanges, ListFilter } from '../domain/item.ts';

/** A stored item plus what idempotent creation needs to recognise its retries. */
export interface StoredItem {
  readonly item: Item;
  /** Fingerprint of the create request that made it, when it carried a request id. */
  readonly requestHash: string | undefined;
}

export interface Page {
  readonly items: readonly Item[];
  /** Where the next page starts; undefined on the last page. Opaque to the domain. */
  readonly next: Record<string, string> | undefined;
}

export type UpdateOutcome =
  | { readonly kind: 'updated'; readonly item: Item }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'version_conflict'; readonly currentVersion: number };

export type InventoryOutcome =
  | { readonly kind: 'updated'; readonly item: Item; readonly previousCount: number }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'insufficient'; readonly available: number };

/**
 * Persistence for items. Every method is scoped to one tenant; every mutation is a single
 * conditional write, so concurrent callers never lose an update.
 */
export interface ItemRepository {
  /** null when the tenant has no such item. */
  get(tenantId: string, id: string): Promise<Item | null>;
  /** Writes the item unless one with its id exists; then returns the existing one. */
  createIfAbsent(
    item: Item,
    requestHash: string | undefined,
  ): Promise<{ created: boolean; stored: StoredItem }>;
  update(
    tenantId: string,
    id: string,
    expectedVersion: number,
    changes: ItemChanges,
    by: string,
    at: string,
  ): Promise<UpdateOutcome>;
  /** Adds delta to the stock in one atomic conditional write; never below zero. */
  adjustInventory(
    tenantId: string,
    id: string,
    delta: number,
    by: string,
    at: string,
  ): Promise<InventoryOutcome>;
  list(
    tenantId: string,
    filter: ListFilter,
    pageSize: number,
    after: Record<string, string> | undefined,
  ): Promise<Page>;
  /** Whether the backing store answers (for health checks). */
  ping(): Promise<void>;
}
