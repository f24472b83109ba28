/**
 * The item limits both the REST API (its JSON schemas) and the store (its validation)
 * enforce. One table: the api refuses early what the store would refuse anyway. Lengths
 * count Unicode code points (as JSON Schema's maxLength does), not UTF-16 units. Stock is
 * a 32-bit signed count (0 to 2^31-1), so every client can hold it exactly. Versions are
 * int64 on the wire, held as JavaScript numbers: exact up to 2^53-1, so that is their
 * bound (a larger one cannot even be encoded, and would never be a version read).
 */
export const LIMITS = Object.freeze({
  nameLength: 200,
  descriptionLength: 2000,
  maxPriceCents: 1_000_000_000_000,
  maxInventory: 2_147_483_647,
  maxVersion: Number.MAX_SAFE_INTEGER,
  /**
   * A stock change's request id (REST: Idempotency-Key) is recognised at least until this
   * many more keyed stock changes to the same item were recorded after it; later it may be
   * forgotten and then counts as new (the store keeps 500 and forgets 100 at a time).
   */
  stockRequestWindow: 400,
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
  /** One line of text: no control characters (names, reasons, search). */
  line: '^[^\\u0000-\\u001f\\u007f]*$',
  /** Text that may hold tabs and line breaks, but no other control character (descriptions). */
  text: '^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$',
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
  line: 'text without control characters',
  text: 'text without control characters other than tab and line breaks',
});
