import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodePageToken, encodePageToken } from '../src/domain/page-token.ts';

const position = { PK: 'TENANT#t', SK: 'ITEM#1' };

describe('page tokens', () => {
  it('round-trip the position for the same tenant and filters', () => {
    const token = encodePageToken('t', { category: 'books' }, position);
    assert.match(token, /^[A-Za-z0-9_-]+$/);
    assert.deepEqual(decodePageToken(token, 't', { category: 'books' }), position);
  });

  it('refuse another tenant, other filters, garbage and oversize tokens with INVALID_ARGUMENT page_token', () => {
    const token = encodePageToken('t', { category: 'books' }, position);
    for (const [tenant, filter, bad] of [
      ['u', { category: 'books' }, token],
      ['t', { category: 'toys' }, token],
      ['t', { category: 'books', search: 'x' }, token],
      ['t', { category: 'books' }, 'not base64!'],
      ['t', { category: 'books' }, Buffer.from('{"v":2}').toString('base64url')],
      ['t', { category: 'books' }, 'A'.repeat(5000)],
    ] as const) {
      assert.throws(
        () => decodePageToken(bad, tenant, filter),
        (err: { code?: string; field?: string }) =>
          err.code === 'invalid_argument' && err.field === 'page_token',
      );
    }
  });
});
