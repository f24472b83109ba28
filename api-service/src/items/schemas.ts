import { type Static, Type } from 'typebox';

// REST JSON uses the proto's snake_case names and lower-case enum names (ARCHITECTURE.md).
export const CATEGORY_NAMES = ['books', 'electronics', 'clothing', 'home', 'toys', 'food', 'other'] as const;
export const STATUS_NAMES = ['active', 'out_of_stock', 'discontinued'] as const;

const Category = Type.Unsafe<(typeof CATEGORY_NAMES)[number]>({
  type: 'string',
  enum: [...CATEGORY_NAMES],
  description: 'item category',
});
const Status = Type.Unsafe<(typeof STATUS_NAMES)[number]>({
  type: 'string',
  enum: [...STATUS_NAMES],
  description: 'item status',
});
const Name = Type.String({ minLength: 1, maxLength: 200 });
const Description = Type.String({ maxLength: 2000 });
const PriceCents = Type.Integer({ minimum: 0, maximum: 1_000_000_000_000, description: 'price in cents' });
const Sku = Type.String({ maxLength: 64 });
const Tags = Type.Array(Type.String({ minLength: 1, maxLength: 50 }), { maxItems: 20 });
const Version = Type.Integer({ minimum: 1, description: 'expected version (alternative to If-Match)' });

export const ItemJson = Type.Object(
  {
    id: Type.String(),
    tenant_id: Type.String(),
    name: Type.String(),
    description: Type.String(),
    price_cents: Type.Integer(),
    category: Category,
    status: Status,
    sku: Type.String(),
    inventory_count: Type.Integer(),
    tags: Type.Array(Type.String()),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
    created_by: Type.String(),
    updated_by: Type.String(),
    version: Type.Integer(),
  },
  { $id: 'Item' },
);
export type ItemJson = Static<typeof ItemJson>;

export const ErrorJson = Type.Object(
  {
    error: Type.Object({ code: Type.String(), message: Type.String(), field: Type.Optional(Type.String()) }),
  },
  { $id: 'Error' },
);

/** Responses reference the shared schemas (registered once with addSchema) by $ref only. */
export const ItemRef = Type.Ref('Item');
export const ErrorRef = Type.Ref('Error');

export const TenantHeaders = Type.Object({
  'x-tenant-id': Type.String({
    pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$',
    description: 'tenant whose items are addressed (required)',
  }),
  'x-user-id': Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$' })),
  'idempotency-key': Type.Optional(Type.String({ pattern: '^[\\x21-\\x7e]{1,128}$' })),
  'if-match': Type.Optional(Type.String({ maxLength: 40 })),
});
export type TenantHeaders = Static<typeof TenantHeaders>;

export const ItemParams = Type.Object({
  id: Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' }),
});

export const CreateBody = Type.Object(
  {
    name: Name,
    description: Type.Optional(Description),
    price_cents: PriceCents,
    category: Category,
    sku: Type.Optional(Sku),
    inventory_count: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000 })),
    tags: Type.Optional(Tags),
    request_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'idempotency key' })),
  },
  { additionalProperties: false },
);
export type CreateBody = Static<typeof CreateBody>;

/** PUT replaces the editable fields: omitted optional ones are reset (status is kept when omitted). */
export const ReplaceBody = Type.Object(
  {
    name: Name,
    description: Type.Optional(Description),
    price_cents: PriceCents,
    category: Category,
    status: Type.Optional(Status),
    sku: Type.Optional(Sku),
    tags: Type.Optional(Tags),
    version: Type.Optional(Version),
  },
  { additionalProperties: false },
);
export type ReplaceBody = Static<typeof ReplaceBody>;

export const PatchBody = Type.Object(
  {
    name: Type.Optional(Name),
    description: Type.Optional(Description),
    price_cents: Type.Optional(PriceCents),
    category: Type.Optional(Category),
    status: Type.Optional(Status),
    sku: Type.Optional(Sku),
    tags: Type.Optional(Tags),
    version: Type.Optional(Version),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type PatchBody = Static<typeof PatchBody>;

export const InventoryBody = Type.Object(
  {
    quantity_change: Type.Integer({ minimum: -1_000_000_000, maximum: 1_000_000_000, not: { const: 0 } }),
    reason: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type InventoryBody = Static<typeof InventoryBody>;

export const ListQuery = Type.Object(
  {
    category: Type.Optional(Category),
    status: Type.Optional(Status),
    search: Type.Optional(Type.String({ maxLength: 100 })),
    page_size: Type.Optional(
      Type.String({ pattern: '^(100|[1-9][0-9]?)$', description: '1-100, default 25' }),
    ),
    page_token: Type.Optional(Type.String({ maxLength: 2048 })),
  },
  { additionalProperties: false },
);
export type ListQuery = Static<typeof ListQuery>;

export const ListJson = Type.Object({
  items: Type.Array(Type.Ref('Item')),
  next_page_token: Type.String({ description: 'empty on the last page' }),
});

export const InventoryJson = Type.Object({
  item: Type.Ref('Item'),
  previous_count: Type.Integer(),
});
