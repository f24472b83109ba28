import { CATEGORIES, LIMITS, PATTERN_RULES, PATTERNS, STATUSES } from 'store-contract';
import { type Static, Type } from 'typebox';

// REST JSON uses the proto's snake_case names and lower-case enum names (ARCHITECTURE.md);
// the names, limits and identifier patterns come from the contract package.
const Category = Type.Unsafe<(typeof CATEGORIES)[number]>({
  type: 'string',
  enum: [...CATEGORIES],
  description: 'item category',
});
const Status = Type.Unsafe<(typeof STATUSES)[number]>({
  type: 'string',
  enum: [...STATUSES],
  description: 'item status',
});
const Name = Type.String({
  minLength: 1,
  maxLength: LIMITS.nameLength,
  pattern: PATTERNS.line,
  description: PATTERN_RULES.line,
});
const Description = Type.String({
  maxLength: LIMITS.descriptionLength,
  pattern: PATTERNS.text,
  description: PATTERN_RULES.text,
});
const PriceCents = Type.Integer({ minimum: 0, maximum: LIMITS.maxPriceCents, description: 'price in cents' });
const Sku = Type.String({ pattern: `^$|${PATTERNS.sku}`, description: `empty, or ${PATTERN_RULES.sku}` });
const Tags = Type.Array(Type.String({ pattern: PATTERNS.tag, description: PATTERN_RULES.tag }), {
  maxItems: LIMITS.maxTags,
});
const Version = Type.Integer({
  minimum: 1,
  maximum: LIMITS.maxVersion,
  description: 'expected version (alternative to If-Match)',
});

/**
 * A pattern for the whole numbers 1 to `max`, in decimal without leading zeros: query
 * strings are text (not coerced), and the range belongs in the schema like any other.
 */
function wholeNumberPattern(max: number): string {
  const digits = String(max);
  const alternatives: string[] = [];
  if (digits.length > 1) alternatives.push(`[1-9][0-9]{0,${digits.length - 2}}`);
  // Numbers as long as max: its first i digits, then a smaller digit, then any digits.
  for (let i = 0; i < digits.length; i += 1) {
    const low = i === 0 ? 1 : 0;
    const high = Number(digits[i]) - 1;
    if (high < low) continue;
    const rest = digits.length - i - 1;
    alternatives.push(`${digits.slice(0, i)}[${low}-${high}]${rest === 0 ? '' : `[0-9]{${rest}}`}`);
  }
  alternatives.push(digits);
  return `^(?:${alternatives.join('|')})$`;
}

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

const baseHeaders = {
  // With a token the tenant comes from it; a client may still name it (it must match).
  'x-tenant-id': Type.Optional(
    Type.String({
      pattern: PATTERNS.tenantId,
      description: `${PATTERN_RULES.tenantId}; must name the token's tenant`,
    }),
  ),
  'x-user-id': Type.Optional(
    Type.String({
      pattern: PATTERNS.userId,
      description: `${PATTERN_RULES.userId} (only without an issuer)`,
    }),
  ),
  'x-canary': Type.Optional(
    Type.String({
      description:
        'PR number whose canaries serve this request at every hop (internal entrypoint); anything else is served by stable with X-Canary-Error',
    }),
  ),
};
const idempotencyKey = Type.Optional(
  Type.String({
    pattern: PATTERNS.requestId,
    description: `${PATTERN_RULES.requestId}. A retry with the same key applies nothing and answers the first result with Idempotent-Replayed: true: for a create always, for a stock change while the item remembers the key, at least until ${LIMITS.stockRequestWindow} more keyed stock changes to that item (an older key counts as new)`,
  }),
);
const ifMatch = Type.Optional(Type.String({ maxLength: 40, description: 'the version read, e.g. "3"' }));

/** Headers of reads and deletes. */
export const TenantHeaders = Type.Object(baseHeaders);
/** Headers of creates and stock changes (idempotent with a key). */
export const KeyedHeaders = Type.Object({ ...baseHeaders, 'idempotency-key': idempotencyKey });
/** Headers of PUT and PATCH (versioned). */
export const VersionedHeaders = Type.Object({ ...baseHeaders, 'if-match': ifMatch });
export type KeyedHeaders = Static<typeof KeyedHeaders>;
export type VersionedHeaders = Static<typeof VersionedHeaders>;
export type TenantHeaders = Static<typeof TenantHeaders>;

export const ItemParams = Type.Object({
  id: Type.String({ pattern: PATTERNS.itemId, description: PATTERN_RULES.itemId }),
});

export const CreateBody = Type.Object(
  {
    name: Name,
    description: Type.Optional(Description),
    price_cents: PriceCents,
    category: Category,
    sku: Type.Optional(Sku),
    inventory_count: Type.Optional(Type.Integer({ minimum: 0, maximum: LIMITS.maxInventory })),
    tags: Type.Optional(Tags),
    request_id: Type.Optional(
      Type.String({ pattern: PATTERNS.requestId, description: PATTERN_RULES.requestId }),
    ),
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
    quantity_change: Type.Integer({
      minimum: -LIMITS.maxInventory,
      maximum: LIMITS.maxInventory,
      not: { const: 0 },
      description: `a whole number from -${LIMITS.maxInventory} to ${LIMITS.maxInventory}, not 0`,
    }),
    reason: Type.Optional(
      Type.String({
        maxLength: LIMITS.reasonLength,
        pattern: PATTERNS.line,
        description: PATTERN_RULES.line,
      }),
    ),
  },
  { additionalProperties: false },
);
export type InventoryBody = Static<typeof InventoryBody>;

export const ListQuery = Type.Object(
  {
    category: Type.Optional(Category),
    status: Type.Optional(Status),
    search: Type.Optional(
      Type.String({
        maxLength: LIMITS.searchLength,
        pattern: PATTERNS.line,
        description: PATTERN_RULES.line,
      }),
    ),
    page_size: Type.Optional(
      Type.String({
        pattern: wholeNumberPattern(LIMITS.maxPageSize),
        description: `a whole number from 1 to ${LIMITS.maxPageSize} (default ${LIMITS.defaultPageSize})`,
      }),
    ),
    page_token: Type.Optional(Type.String({ maxLength: LIMITS.pageTokenLength })),
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
