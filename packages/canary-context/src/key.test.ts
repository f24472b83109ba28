import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCanaryKey } from './key.ts';

describe('parseCanaryKey', () => {
  it('accepts PR numbers, trimming spaces and tabs', () => {
    assert.deepEqual(parseCanaryKey('123'), { kind: 'valid', key: '123' });
    assert.deepEqual(parseCanaryKey(' \t7 '), { kind: 'valid', key: '7' });
    assert.deepEqual(parseCanaryKey('9999999999'), { kind: 'valid', key: '9999999999' });
    assert.deepEqual(parseCanaryKey(['42']), { kind: 'valid', key: '42' });
  });

  it('treats missing and empty values as absent (a stripped header)', () => {
    for (const raw of [undefined, null, '', '   ', [], ['', ' ']]) {
      assert.deepEqual(parseCanaryKey(raw), { kind: 'absent' }, JSON.stringify(raw));
    }
  });

  it('rejects everything that is not exactly one PR number', () => {
    const cases: Array<[string | string[], string]> = [
      ['pr-1', 'not-a-pr-number'],
      ['0', 'not-a-pr-number'],
      ['0123', 'not-a-pr-number'],
      ['12345678901', 'not-a-pr-number'],
      ['-5', 'not-a-pr-number'],
      ['1.5', 'not-a-pr-number'],
      ['1e3', 'not-a-pr-number'],
      ['12\r\n3', 'not-a-pr-number'],
      ['12\nX-Evil: 1', 'not-a-pr-number'],
      ['١٢٣', 'not-a-pr-number'],
      ['１２３', 'not-a-pr-number'],
      ['123\u0000', 'not-a-pr-number'],
      ['1, 2', 'multiple-values'],
      ['1,1', 'multiple-values'],
      [['1', '2'], 'multiple-values'],
      ['9'.repeat(10_000), 'too-long'],
      ['1'.padStart(65, ' '), 'too-long'],
    ];
    for (const [raw, error] of cases) {
      assert.deepEqual(parseCanaryKey(raw), { kind: 'invalid', error }, JSON.stringify(raw).slice(0, 40));
    }
  });
});
