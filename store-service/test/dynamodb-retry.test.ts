import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RetryErrorInfo, RetryStrategyV2, RetryToken } from '@smithy/types';
import { throttlingOnly } from '../src/dynamo/candidates/sdk.ts';
import { retryable } from '../src/dynamo/policy.ts';

const token = { getRetryCount: () => 0, getRetryDelay: () => 0 } as RetryToken;

function recordingInner() {
  const calls: string[] = [];
  const inner: RetryStrategyV2 = {
    acquireInitialRetryToken: async () => token,
    refreshRetryTokenForRetry: async (_t, info) => {
      calls.push(info.errorType);
      return token;
    },
    recordSuccess: () => calls.push('success'),
  };
  return { inner, calls };
}

const failure = (errorType: RetryErrorInfo['errorType']): RetryErrorInfo =>
  ({ errorType, error: new Error(errorType) }) as unknown as RetryErrorInfo;

describe('write retry policy', () => {
  it('retries throttled writes (DynamoDB applied nothing)', async () => {
    const { inner, calls } = recordingInner();
    await throttlingOnly(inner).refreshRetryTokenForRetry(token, failure('THROTTLING'));
    assert.deepEqual(calls, ['THROTTLING']);
  });

  it('never retries a write after a timeout, reset or server error (it may have landed)', async () => {
    for (const type of ['TRANSIENT', 'SERVER_ERROR', 'CLIENT_ERROR'] as const) {
      const { inner, calls } = recordingInner();
      await assert.rejects(
        throttlingOnly(inner).refreshRetryTokenForRetry(token, failure(type)),
        new RegExp(type),
      );
      assert.deepEqual(calls, [], type);
    }
  });

  it("the store's own clients follow the same rule: writes retried only after throttling, reads after any transient failure", () => {
    const named = (name: string) => Object.assign(new Error(name), { name });
    const coded = (code: string) => Object.assign(new Error(code), { code });
    for (const err of [named('ThrottlingException'), named('ProvisionedThroughputExceededException')]) {
      assert.equal(retryable(err, true), true, err.name);
      assert.equal(retryable(err, false), true, err.name);
    }
    for (const err of [
      named('TimeoutError'),
      named('InternalServerError'),
      coded('ECONNRESET'),
      coded('ECONNREFUSED'),
    ]) {
      assert.equal(retryable(err, true), false, `write after ${err.message}`);
      assert.equal(retryable(err, false), true, `read after ${err.message}`);
    }
    for (const err of [
      named('AbortError'),
      named('ValidationException'),
      named('ConditionalCheckFailedException'),
    ])
      assert.equal(retryable(err, false), false, err.name);
  });
});
