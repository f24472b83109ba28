import {
  categoryToProto,
  categoryFromProto as contractCategory,
  statusFromProto as contractStatus,
  type Item as ProtoItem,
  statusToProto,
  UnknownEnumValueError,
} from 'store-contract';
import { StoreError } from '../domain/errors.ts';
import type { Category, Item, ItemStatus } from '../domain/item.ts';

// A request that carries an enum number this build has no name for is the caller's error.
function fromProto<N>(
  convert: (value: number, field: string) => N,
  value: number | undefined,
  field: string,
) {
  if (value === undefined) return undefined;
  try {
    return convert(value, field);
  } catch (err) {
    if (err instanceof UnknownEnumValueError)
      throw new StoreError('invalid_argument', err.message, { field });
    throw err;
  }
}

export const categoryFromProto = (value: number | undefined, field = 'category'): Category | undefined =>
  fromProto(contractCategory, value, field);
export const statusFromProto = (value: number | undefined, field = 'status'): ItemStatus | undefined =>
  fromProto(contractStatus, value, field);

export function itemToProto(item: Item): ProtoItem {
  return {
    id: item.id,
    tenantId: item.tenantId,
    name: item.name,
    description: item.description,
    priceCents: item.priceCents,
    category: categoryToProto(item.category),
    status: statusToProto(item.status),
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
