import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LIMITS } from 'store-contract';
import * as check from '../src/domain/validate.ts';

const refuses = (fn: () => unknown, field: string) =>
  assert.throws(
    fn,
    (err: { code?: string; field?: string }) => err.code === 'invalid_argument' && err.field === field,
  );

describe('validation', () => {
  it('accepts values at the limits and refuses one past them, naming the field', () => {
    assert.equal(check.name('x'.repeat(LIMITS.nameLength)).length, LIMITS.nameLength);
    refuses(() => check.name('x'.repeat(LIMITS.nameLength + 1)), 'name');
    assert.equal(check.priceCents(LIMITS.maxPriceCents), LIMITS.maxPriceCents);
    refuses(() => check.priceCents(LIMITS.maxPriceCents + 1), 'price_cents');
    refuses(() => check.priceCents(1.5), 'price_cents');
    assert.equal(check.pageSize(0), LIMITS.defaultPageSize);
    assert.equal(check.pageSize(LIMITS.maxPageSize), LIMITS.maxPageSize);
    refuses(() => check.pageSize(LIMITS.maxPageSize + 1), 'page_size');
    refuses(() => check.tags(Array.from({ length: LIMITS.maxTags + 1 }, (_, i) => `t${i}`)), 'tags');
  });

  it('refuses every number outside the contract limits, naming the field (1e19, -1e19, 1.5, 2**53)', () => {
    const out = [1e19, -1e19, 1.5, 2 ** 53, -(2 ** 53), Number.NaN, Number.POSITIVE_INFINITY];
    for (const n of out) {
      refuses(() => check.priceCents(n), 'price_cents');
      refuses(() => check.inventoryCount(n), 'inventory_count');
      refuses(() => check.expectedVersion(n), 'expected_version');
      refuses(() => check.quantityChange(n), 'quantity_change');
      refuses(() => check.pageSize(n), 'page_size');
    }
    refuses(() => check.priceCents(-1), 'price_cents');
    refuses(() => check.inventoryCount(LIMITS.maxInventory + 1), 'inventory_count');
    refuses(() => check.quantityChange(LIMITS.maxInventory + 1), 'quantity_change');
    refuses(() => check.quantityChange(-LIMITS.maxInventory - 1), 'quantity_change');
    refuses(() => check.pageSize(-1), 'page_size');
    assert.equal(check.expectedVersion(LIMITS.maxVersion), LIMITS.maxVersion);
    assert.equal(check.quantityChange(-LIMITS.maxInventory), -LIMITS.maxInventory);
    assert.equal(check.inventoryCount(LIMITS.maxInventory), LIMITS.maxInventory);
  });

  it('normalises: trimmed names, lower-cased search, anonymous user, absent request id', () => {
    assert.equal(check.name('  Dune '), 'Dune');
    assert.equal(check.search('  DUNE '), 'dune');
    assert.equal(check.search('   '), undefined);
    assert.equal(check.userId(''), 'anonymous');
    assert.equal(check.requestId(''), undefined);
  });

  it('refuses control characters and malformed ids', () => {
    refuses(() => check.name('a\u0000b'), 'name');
    refuses(() => check.reason('a\nb'), 'reason');
    refuses(() => check.tenantId(''), 'tenant_id');
    refuses(() => check.itemId('0190ABCD-0000-7000-8000-000000000000'), 'id');
    refuses(() => check.requestId('has space'), 'request_id');
    refuses(() => check.quantityChange(0), 'quantity_change');
    refuses(() => check.expectedVersion(0), 'expected_version');
  });
});
