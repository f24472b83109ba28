/**
 * The item limits both the REST API (its JSON schemas) and the store (its validation)
 * enforce. One table: the api refuses early what the store would refuse anyway.
 */
export const LIMITS = Object.freeze({
  nameLength: 200,
  descriptionLength: 2000,
  maxPriceCents: 1_000_000_000_000,
  maxInventory: 1_000_000_000,
  maxTags: 20,
  tagLength: 50,
  skuLength: 64,
  reasonLength: 200,
  maxPageSize: 100,
  defaultPageSize: 25,
  searchLength: 100,
  requestIdLength: 128,
  pageTokenLength: 2048,
});

/**
 * Identifier shapes, as regular-expression sources (JSON Schema `pattern` takes the same
 * syntax). Tenants and users are ids chosen by the caller's platform: short, printable,
 * no separators.
 */
export const PATTERNS = Object.freeze({
  tenantId: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$',
  userId: '^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$',
  itemId: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
  sku: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$',
  tag: '^[a-z0-9][a-z0-9_-]{0,49}$',
  requestId: '^[\\x21-\\x7e]{1,128}$',
});

/**
 * Each pattern in words, as error messages say it ("tenant_id: must be 1-64 letters, …")
 * in the store and in the REST API alike.
 */
export const PATTERN_RULES: Readonly<Record<keyof typeof PATTERNS, string>> = Object.freeze({
  tenantId: '1-64 letters, digits, _ or -, starting with a letter or digit',
  userId: '1-128 letters, digits, . _ @ or -, starting with a letter or digit',
  itemId: 'a UUID in lower-case hex',
  sku: '1-64 letters, digits, . _ or -, starting with a letter or digit',
  tag: '1-50 lower-case letters, digits, _ or -, starting with a letter or digit',
  requestId: '1-128 printable ASCII characters without spaces',
});
