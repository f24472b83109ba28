import { Category, type Item, ItemStatus } from 'store-service/proto';
import { CATEGORY_NAMES, type ItemJson, STATUS_NAMES } from './schemas.ts';

type CategoryName = (typeof CATEGORY_NAMES)[number];
type StatusName = (typeof STATUS_NAMES)[number];

function table<N extends string>(names: readonly N[], proto: Record<string, number>, prefix: string) {
  const toProto = new Map<N, number>(names.map((n) => [n, proto[`${prefix}${n.toUpperCase()}`] ?? 0]));
  const toName = new Map<number, N>(names.map((n) => [toProto.get(n) ?? 0, n]));
  return { toProto, toName };
}

const categories = table(CATEGORY_NAMES, Category, 'CATEGORY_');
const statuses = table(STATUS_NAMES, ItemStatus, 'ITEM_STATUS_');

export const categoryToProto = (name: CategoryName | undefined): Category =>
  (name === undefined ? 0 : (categories.toProto.get(name) ?? 0)) as Category;
export const statusToProto = (name: StatusName | undefined): ItemStatus =>
  (name === undefined ? 0 : (statuses.toProto.get(name) ?? 0)) as ItemStatus;

/** A store item as the REST API shows it. */
export function itemToJson(item: Item | undefined): ItemJson {
  if (item === undefined) throw new Error('store answered without an item');
  return {
    id: item.id,
    tenant_id: item.tenantId,
    name: item.name,
    description: item.description,
    price_cents: item.priceCents,
    category: categories.toName.get(item.category) ?? 'other',
    status: statuses.toName.get(item.status) ?? 'active',
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
