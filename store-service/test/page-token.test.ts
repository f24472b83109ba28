import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { PAGE_TOKEN_TTL_MS, PageTokens } from '../src/domain/page-token.ts';

const position = { PK: 'TENANT#t', SK: 'ITEM#1' };
const refuses = (fn: () => unknown, message: RegExp) =>
  assert.throws(fn, (err: { code?: string; field?: string; message?: string }) => {
    assert.equal(err.code, 'invalid_argument');
    assert.equal(err.field, 'page_token');
    assert.match(err.message ?? '', message);
    return true;
  });

describe('page tokens', () => {
  it('are opaque: the key layout cannot be read from them', () => {
    const token = PageTokens.ephemeral().seal('t', {}, position);
    assert.match(token, /^[A-Za-z0-9_-]+$/);
    assert.doesNotMatch(Buffer.from(token, 'base64url').toString('latin1'), /TENANT|ITEM/);
  });

  it('open for the same tenant and filters', () => {
    const tokens = PageTokens.ephemeral();
    const token = tokens.seal('t', { category: 'books' }, position);
    assert.deepEqual(tokens.open(token, 't', { category: 'books' }), position);
  });

  it('refuse another tenant, other filters, tampering, forgeries, garbage and old tokens', () => {
    let now = Date.now();
    const tokens = new PageTokens([randomBytes(32)], () => now);
    const token = tokens.seal('t', { category: 'books' }, position);
    refuses(() => tokens.open(token, 'u', { category: 'books' }), /not a page token for this query/);
    refuses(() => tokens.open(token, 't', { category: 'toys' }), /not a page token for this query/);
    const raw = Buffer.from(token, 'base64url');
    raw[raw.length - 20] = (raw[raw.length - 20] ?? 0) ^ 1;
    refuses(() => tokens.open(raw.toString('base64url'), 't', { category: 'books' }), /not a page token/);
    const forged = Buffer.from(JSON.stringify({ PK: 'TENANT#u', SK: 'ITEM#1' })).toString('base64url');
    refuses(() => tokens.open(forged, 't', {}), /not a page token/);
    refuses(() => tokens.open('not base64!', 't', {}), /not a page token/);
    refuses(() => tokens.open('A'.repeat(5000), 't', {}), /not a page token/);
    refuses(
      () => new PageTokens([randomBytes(32)]).open(token, 't', { category: 'books' }),
      /not a page token/,
    );
    now += PAGE_TOKEN_TTL_MS + 1;
    refuses(() => tokens.open(token, 't', { category: 'books' }), /expired/);
  });

  it('survive key rotation: a token sealed with the previous key still opens', () => {
    const old = randomBytes(32);
    const token = new PageTokens([old]).seal('t', {}, position);
    const rotated = PageTokens.fromConfig(`${randomBytes(32).toString('base64')},${old.toString('base64')}`);
    assert.deepEqual(rotated.open(token, 't', {}), position);
    const fresh = rotated.seal('t', {}, position);
    refuses(() => new PageTokens([old]).open(fresh, 't', {}), /not a page token/);
  });
});
