/** Item categories as the domain (and the REST API) names them. */
export const CATEGORIES = ['books', 'electronics', 'clothing', 'home', 'toys', 'food', 'other'] as const;
export type Category = (typeof CATEGORIES)[number];

export const STATUSES = ['active', 'out_of_stock', 'discontinued'] as const;
export type ItemStatus = (typeof STATUSES)[number];

export interface Item {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  readonly description: string;
  readonly priceCents: number;
  readonly category: Category;
  readonly status: ItemStatus;
  readonly sku: string;
  readonly inventoryCount: number;
  readonly tags: readonly string[];
  /** ISO-8601 UTC timestamps. */
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly createdBy: string;
  readonly updatedBy: string;
  readonly version: number;
}

/** Fields a caller may change with UpdateItem (inventory has its own operation). */
export interface ItemChanges {
  readonly name?: string;
  readonly description?: string;
  readonly priceCents?: number;
  readonly category?: Category;
  readonly status?: ItemStatus;
  readonly sku?: string;
  readonly tags?: readonly string[];
}

export interface ListFilter {
  readonly category?: Category;
  readonly status?: ItemStatus;
  /** Lower-cased substring of name or description. */
  readonly search?: string;
}
