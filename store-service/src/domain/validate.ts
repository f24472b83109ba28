import { LIMITS, PATTERN_RULES, PATTERNS } from 'store-contract';
import { invalidArgument } from './errors.ts';

const TENANT = new RegExp(PATTERNS.tenantId);
const USER = new RegExp(PATTERNS.userId);
const ITEM_ID = new RegExp(PATTERNS.itemId);
const SKU = new RegExp(PATTERNS.sku);
const TAG = new RegExp(PATTERNS.tag);
const REQUEST_ID = new RegExp(PATTERNS.requestId);
const LINE = new RegExp(PATTERNS.line);
const TEXT = new RegExp(PATTERNS.text);
/** Lengths in code points, as the REST API's JSON Schema counts them. */
const length = (value: string) => [...value].length;

export function tenantId(value: string, field = 'tenant_id'): string {
  if (!TENANT.test(value)) throw invalidArgument(field, `must be ${PATTERN_RULES.tenantId}`);
  return value;
}

export function userId(value: string, field = 'user_id'): string {
  if (value === '') return 'anonymous';
  if (!USER.test(value)) throw invalidArgument(field, `must be ${PATTERN_RULES.userId}`);
  return value;
}

export function itemId(value: string, field = 'id'): string {
  if (!ITEM_ID.test(value)) throw invalidArgument(field, `must be ${PATTERN_RULES.itemId}`);
  return value;
}

export function name(value: string, field = 'name'): string {
  const trimmed = value.trim();
  if (trimmed === '') throw invalidArgument(field, 'must not be empty');
  if (length(trimmed) > LIMITS.nameLength)
    throw invalidArgument(field, `must be at most ${LIMITS.nameLength} characters`);
  if (!LINE.test(trimmed)) throw invalidArgument(field, `must be ${PATTERN_RULES.line}`);
  return trimmed;
}

export function description(value: string, field = 'description'): string {
  if (length(value) > LIMITS.descriptionLength) {
    throw invalidArgument(field, `must be at most ${LIMITS.descriptionLength} characters`);
  }
  if (!TEXT.test(value)) throw invalidArgument(field, `must be ${PATTERN_RULES.text}`);
  return value;
}

export function priceCents(value: number, field = 'price_cents'): number {
  if (!Number.isSafeInteger(value) || value < 0 || value > LIMITS.maxPriceCents) {
    throw invalidArgument(field, `must be a whole number from 0 to ${LIMITS.maxPriceCents}`);
  }
  return value;
}

export function sku(value: string, field = 'sku'): string {
  if (value !== '' && !SKU.test(value)) throw invalidArgument(field, `must be ${PATTERN_RULES.sku}`);
  return value;
}

export function inventoryCount(value: number, field = 'inventory_count'): number {
  if (!Number.isSafeInteger(value) || value < 0 || value > LIMITS.maxInventory) {
    throw invalidArgument(field, `must be a whole number from 0 to ${LIMITS.maxInventory}`);
  }
  return value;
}

export function tags(values: readonly string[], field = 'tags'): string[] {
  if (values.length > LIMITS.maxTags)
    throw invalidArgument(field, `must hold at most ${LIMITS.maxTags} tags`);
  for (const tag of values) {
    if (!TAG.test(tag)) throw invalidArgument(field, `each tag must be ${PATTERN_RULES.tag}`);
  }
  return [...new Set(values)];
}

export function requestId(value: string, field = 'request_id'): string | undefined {
  if (value === '') return undefined;
  if (!REQUEST_ID.test(value)) throw invalidArgument(field, `must be ${PATTERN_RULES.requestId}`);
  return value;
}

export function expectedVersion(value: number, field = 'expected_version'): number {
  if (!Number.isSafeInteger(value) || value < 1 || value > LIMITS.maxVersion)
    throw invalidArgument(field, `must be the item version, a whole number from 1 to ${LIMITS.maxVersion}`);
  return value;
}

export function quantityChange(value: number, field = 'quantity_change'): number {
  if (!Number.isSafeInteger(value) || value === 0 || Math.abs(value) > LIMITS.maxInventory) {
    throw invalidArgument(
      field,
      `must be a non-zero whole number from -${LIMITS.maxInventory} to ${LIMITS.maxInventory}`,
    );
  }
  return value;
}

export function reason(value: string, field = 'reason'): string {
  if (length(value) > LIMITS.reasonLength)
    throw invalidArgument(field, `must be at most ${LIMITS.reasonLength} characters`);
  if (!LINE.test(value)) throw invalidArgument(field, `must be ${PATTERN_RULES.line}`);
  return value;
}

export function pageSize(value: number, field = 'page_size'): number {
  if (value === 0) return LIMITS.defaultPageSize;
  if (!Number.isSafeInteger(value) || value < 1 || value > LIMITS.maxPageSize) {
    throw invalidArgument(field, `must be from 1 to ${LIMITS.maxPageSize}`);
  }
  return value;
}

export function search(value: string, field = 'search'): string | undefined {
  const trimmed = value.trim().toLowerCase();
  if (trimmed === '') return undefined;
  if (length(trimmed) > LIMITS.searchLength)
    throw invalidArgument(field, `must be at most ${LIMITS.searchLength} characters`);
  if (!LINE.test(trimmed)) throw invalidArgument(field, `must be ${PATTERN_RULES.line}`);
  return trimmed;
}
