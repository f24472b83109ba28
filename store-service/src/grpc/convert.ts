import {
  Category as ProtoCategory,
  type Item as ProtoItem,
  ItemStatus as ProtoItemStatus,
} from '../../proto/gen/store.ts';
import { StoreError } from '../domain/errors.ts';
import { CATEGORIES, type Category, type Item, type ItemStatus, STATUSES } from '../domain/item.ts';

// Proto enum values ↔ domain names: CATEGORY_BOOKS ↔ books, ITEM_STATUS_OUT_OF_STOCK ↔ out_of_stock.
function enumTables<N extends string>(names: readonly N[], proto: Record<string, number>, prefix: string) {
  const toProto = new Map<N, number>();
  const fromProto = new Map<number, N>();
  for (const name of names) {
    const value = proto[`${prefix}${name.toUpperCase()}`];
    if (value === undefined) throw new Error(`proto enum has no ${prefix}${name.toUpperCase()}`);
    toProto.set(name, value);
    fromProto.set(value, name);
  }
  return { toProto, fromProto };
}

const categories = enumTables(CATEGORIES, ProtoCategory, 'CATEGORY_');
const statuses = enumTables(STATUSES, ProtoItemStatus, 'ITEM_STATUS_');

function fromProtoEnum<N>(table: Map<number, N>, value: number | undefined, field: string): N | undefined {
  if (value === undefined || value === 0) return undefined;
  const name = table.get(value);
  if (name === undefined)
    throw new StoreError('invalid_argument', `${field}: unknown value ${value}`, { field });
  return name;
}

export const categoryFromProto = (value: number | undefined, field = 'category'): Category | undefined =>
  fromProtoEnum(categories.fromProto, value, field);
export const statusFromProto = (value: number | undefined, field = 'status'): ItemStatus | undefined =>
  fromProtoEnum(statuses.fromProto, value, field);

export function itemToProto(item: Item): ProtoItem {
  return {
    id: item.id,
    tenantId: item.tenantId,
    name: item.name,
    description: item.description,
    priceCents: item.priceCents,
    category: (categories.toProto.get(item.category) ?? 0) as ProtoCategory,
    status: (statuses.toProto.get(item.status) ?? 0) as ProtoItemStatus,
    sku: item.sku,
    inventoryCount: item.inventoryCount,
    tags: [...item.tags],
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    createdBy: item.createdBy,
    updatedBy: item.updatedBy,
    version: item.version,
  };
}
