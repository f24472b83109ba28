import type { CategoryName, StatusName } from 'store-contract';

/** Item categories and statuses as the domain (and the REST API) names them: the contract's names. */
export type Category = CategoryName;
export type ItemStatus = StatusName;

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
