import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CATEGORIES,
  Category,
  categoryFromProto,
  categoryToProto,
  ItemStatus,
  STATUSES,
  statusFromProto,
  statusToProto,
  UnknownEnumValueError,
} from '../src/index.ts';

describe('enum tables', () => {
  it('map every name to its proto value and back', () => {
    for (const name of CATEGORIES) assert.equal(categoryFromProto(categoryToProto(name)), name);
    for (const name of STATUSES) assert.equal(statusFromProto(statusToProto(name)), name);
    assert.equal(categoryToProto('books'), Category.CATEGORY_BOOKS);
    assert.equal(statusToProto('out_of_stock'), ItemStatus.ITEM_STATUS_OUT_OF_STOCK);
  });

  it('name every non-zero proto value', () => {
    const numbers = (e: Record<string, number>) => Object.values(e).filter((v) => v > 0).length;
    assert.equal(CATEGORIES.length, numbers(Category));
    assert.equal(STATUSES.length, numbers(ItemStatus));
  });

  it('read UNSPECIFIED as absent and refuse numbers the contract lacks, naming the field', () => {
    assert.equal(categoryFromProto(0), undefined);
    assert.equal(statusFromProto(0), undefined);
    assert.throws(
      () => categoryFromProto(99, 'filter.category'),
      (err: unknown) =>
        err instanceof UnknownEnumValueError && err.field === 'filter.category' && err.value === 99,
    );
    assert.throws(() => statusFromProto(-1), UnknownEnumValueError);
  });
});
