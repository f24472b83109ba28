import { categoryFromProto, type Item, statusFromProto } from 'store-contract';
import type { ItemJson } from './schemas.ts';

/**
 * A store item as the REST API shows it. An item without a category or status, or with a
 * number this build of the contract has no name for, is a contract mismatch: it throws
 * rather than showing a guessed value.
 */
export function itemToJson(item: Item | undefined): ItemJson {
  if (item === undefined) throw new Error('store answered without an item');
  const category = categoryFromProto(item.category);
  const status = statusFromProto(item.status);
  if (category === undefined || status === undefined)
    throw new Error('store answered an item without category or status');
  return {
    id: item.id,
    tenant_id: item.tenantId,
    name: item.name,
    description: item.description,
    price_cents: item.priceCents,
    category,
    status,
    sku: item.sku,
    inventory_count: item.inventoryCount,
    tags: item.tags,
    created_at: item.createdAt ?? '',
    updated_at: item.updatedAt ?? '',
    created_by: item.createdBy,
    updated_by: item.updatedBy,
    version: item.version,
  };
}
