// Every failure the store answers carries the contract's error metadata: callers decide on
// outcome and field, never on the message.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { pino } from 'pino';
import { readErrorDetails } from 'store-contract';
import { StoreError } from '../src/domain/errors.ts';
import { CallRefused } from '../src/grpc/caller.ts';
import { toServiceError } from '../src/grpc/status.ts';

const logger = pino({ level: 'silent' });
const named = (name: string, code?: string) => Object.assign(new Error(name), { name, code });
const answer = (err: unknown, write: boolean) => {
  const e = toServiceError(err, logger, write);
  return { code: e.code, ...readErrorDetails(e.metadata) };
};

describe('store errors: outcome and field as metadata', () => {
  it('a refusal by the domain changed nothing and names its field', () => {
    const err = new StoreError('invalid_argument', 'name: must not be blank', { field: 'name' });
    assert.deepEqual(answer(err, true), {
      code: status.INVALID_ARGUMENT,
      outcome: 'not_applied',
      field: 'name',
    });
    // A contended stock change gave up before applying anything, whatever its message says.
    assert.deepEqual(answer(new StoreError('unavailable', 'busy, retry'), true), {
      code: status.UNAVAILABLE,
      outcome: 'not_applied',
    });
  });

  it('a call refused before the domain changed nothing', () => {
    assert.deepEqual(answer(new CallRefused(status.UNAUTHENTICATED, 'no token'), true), {
      code: status.UNAUTHENTICATED,
      outcome: 'not_applied',
    });
  });

  it('DynamoDB refusing a write changed nothing; a write cut after it may have landed is unknown', () => {
    assert.deepEqual(answer(named('ThrottlingException'), true), {
      code: status.UNAVAILABLE,
      outcome: 'not_applied',
    });
    assert.deepEqual(answer(named('Error', 'ECONNREFUSED'), true), {
      code: status.UNAVAILABLE,
      outcome: 'not_applied',
    });
    assert.deepEqual(answer(named('TimeoutError'), true), { code: status.UNAVAILABLE, outcome: 'unknown' });
    assert.deepEqual(answer(named('Error', 'ECONNRESET'), true), {
      code: status.UNAVAILABLE,
      outcome: 'unknown',
    });
    // A read cut the same way changed nothing either way.
    assert.deepEqual(answer(named('TimeoutError'), false), {
      code: status.UNAVAILABLE,
      outcome: 'not_applied',
    });
  });

  it('an unexpected failure of a write is INTERNAL with an unknown outcome', () => {
    assert.deepEqual(answer(new TypeError('boom'), true), { code: status.INTERNAL, outcome: 'unknown' });
    assert.deepEqual(answer(new TypeError('boom'), false), { code: status.INTERNAL, outcome: 'not_applied' });
  });
});
