import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Category, ItemStatus } from 'store-contract';
import { categoryFromProto, itemToProto, statusFromProto } from '../src/grpc/convert.ts';
import { item } from './repository-contract.ts';

describe('proto conversion', () => {
  it('maps an item field by field, enums by name', () => {
    const domain = item('t', { category: 'toys', status: 'out_of_stock', tags: ['a'] });
    const proto = itemToProto(domain);
    assert.equal(proto.category, Category.CATEGORY_TOYS);
    assert.equal(proto.status, ItemStatus.ITEM_STATUS_OUT_OF_STOCK);
    assert.equal(proto.tenantId, 't');
    assert.deepEqual(proto.tags, ['a']);
    assert.equal(proto.version, domain.version);
  });

  it('reads UNSPECIFIED as absent and an unknown number as INVALID_ARGUMENT naming the field', () => {
    assert.equal(categoryFromProto(0), undefined);
    assert.equal(statusFromProto(undefined), undefined);
    assert.equal(categoryFromProto(Category.CATEGORY_FOOD), 'food');
    assert.throws(
      () => statusFromProto(42, 'status'),
      (err: { code?: string; field?: string }) => err.code === 'invalid_argument' && err.field === 'status',
    );
  });
});
