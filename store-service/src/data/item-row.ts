import { CATEGORIES, STATUSES } from 'store-contract';
import { z } from 'zod';
import type { Item } from '../domain/item.ts';
import type { StoredItem } from './repository.ts';

/** Key and attribute layout of one item in the single table. */
export const keys = {
  pk: (tenantId: string) => `TENANT#${tenantId}`,
  sk: (id: string) => `ITEM#${id}`,
  gsi1pk: (tenantId: string, category: string) => `TENANT#${tenantId}#CATEGORY#${category}`,
  gsi1sk: (status: string, id: string) => `STATUS#${status}#ITEM#${id}`,
  gsi2pk: (tenantId: string, status: string) => `TENANT#${tenantId}#STATUS#${status}`,
  itemPrefix: 'ITEM#',
};

export function searchText(name: string, description: string): string {
  return `${name}\n${description}`.toLowerCase();
}

export function toRow(item: Item, requestHash: string | undefined): Record<string, unknown> {
  return {
    PK: keys.pk(item.tenantId),
    SK: keys.sk(item.id),
    GSI1PK: keys.gsi1pk(item.tenantId, item.category),
    GSI1SK: keys.gsi1sk(item.status, item.id),
    GSI2PK: keys.gsi2pk(item.tenantId, item.status),
    id: item.id,
    tenant_id: item.tenantId,
    name: item.name,
    description: item.description,
    price_cents: item.priceCents,
    category: item.category,
    status: item.status,
    sku: item.sku,
    inventory_count: item.inventoryCount,
    tags: [...item.tags],
    created_at: item.createdAt,
    updated_at: item.updatedAt,
    created_by: item.createdBy,
    updated_by: item.updatedBy,
    version: item.version,
    search_text: searchText(item.name, item.description),
    // Idempotent stock changes: request id → "<hash>|<at>", and → the stock before it.
    inventory_requests: {},
    inventory_previous: {},
    ...(requestHash === undefined ? {} : { request_hash: requestHash }),
  };
}

const rowSchema = z.object({
  id: z.string(),
  tenant_id: z.string(),
  name: z.string(),
  description: z.string(),
  price_cents: z.number().int(),
  category: z.enum(CATEGORIES),
  status: z.enum(STATUSES),
  sku: z.string(),
  inventory_count: z.number().int(),
  tags: z.array(z.string()),
  created_at: z.string(),
  updated_at: z.string(),
  created_by: z.string(),
  updated_by: z.string(),
  version: z.number().int(),
  request_hash: z.string().optional(),
  inventory_requests: z.record(z.string(), z.string()).optional(),
  inventory_previous: z.record(z.string(), z.number().int()).optional(),
});

/** The stock-change requests an item row remembers (see DynamoItemRepository.adjustInventory). */
export function inventoryRequests(row: Record<string, unknown>): {
  requests: Record<string, string>;
  previous: Record<string, number>;
} {
  const r = rowSchema.parse(row);
  return { requests: r.inventory_requests ?? {}, previous: r.inventory_previous ?? {} };
}

/** Validates a row read from the table (never a cast): a malformed row is an internal error. */
export function fromRow(row: Record<string, unknown>): StoredItem {
  const r = rowSchema.parse(row);
  return {
    item: {
      id: r.id,
      tenantId: r.tenant_id,
      name: r.name,
      description: r.description,
      priceCents: r.price_cents,
      category: r.category,
      status: r.status,
      sku: r.sku,
      inventoryCount: r.inventory_count,
      tags: r.tags,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      createdBy: r.created_by,
      updatedBy: r.updated_by,
      version: r.version,
    },
    requestHash: r.request_hash,
  };
}
