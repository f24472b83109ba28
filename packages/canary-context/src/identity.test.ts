import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canaryBaggage, canaryFromBaggage } from './baggage.ts';
import { isValidTrack, parseServedBy, servedByEntry } from './identity.ts';
import { trackPr } from './names.ts';

describe('served-by entries', () => {
  it('show the track and a short sha for sha-like versions', () => {
    assert.equal(
      servedByEntry({ service: 'api-service', track: 'pr-123', version: 'pr-123-1a2b3c4d' }),
      'api-service@pr-123 (sha 1a2b3c4)',
    );
    assert.equal(
      servedByEntry({ service: 'api-service', track: 'pr-123', version: '1A2B3C4D5E6F' }),
      'api-service@pr-123 (sha 1a2b3c4)',
    );
    assert.equal(
      servedByEntry({ service: 'store-service', track: 'stable', version: 'v1.4.0' }),
      'store-service@stable (v1.4.0)',
    );
  });

  it('parse back into hops in order', () => {
    const header = 'api-service@pr-123 (sha 1a2b3c4), store-service@stable (v1.4.0)';
    assert.deepEqual(parseServedBy(header), [
      'api-service@pr-123 (sha 1a2b3c4)',
      'store-service@stable (v1.4.0)',
    ]);
    assert.deepEqual(parseServedBy(undefined), []);
  });

  it('validate tracks', () => {
    assert.ok(isValidTrack('stable'));
    assert.ok(isValidTrack('pr-7'));
    for (const bad of ['pr-0', 'pr-', 'canary', 'Stable', 'pr-12345678901'])
      assert.ok(!isValidTrack(bad), bad);
    assert.equal(trackPr('pr-7'), '7');
    assert.equal(trackPr('stable'), undefined);
  });
});

describe('baggage bridge', () => {
  it('mirrors the key as one canary member and reads it back among others', () => {
    assert.equal(canaryBaggage('123'), 'canary=123');
    assert.equal(canaryFromBaggage('userId=alice, canary=123;prop=1, x=y'), '123');
    assert.equal(canaryFromBaggage('userId=alice'), undefined);
    assert.equal(canaryFromBaggage(undefined), undefined);
  });
});
