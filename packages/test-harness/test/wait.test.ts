import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { waitFor } from '../src/wait.ts';

describe('waitFor', () => {
  it('resolves with the first truthy value, polling until then', async () => {
    let calls = 0;
    const value = await waitFor(() => (++calls >= 3 ? `after ${calls}` : undefined), {
      timeout: 5000,
      interval: 1,
    });
    assert.equal(value, 'after 3');
  });

  it('counts a throwing condition as not yet, and names what it waited for and the last error when it gives up', async () => {
    let calls = 0;
    await assert.rejects(
      waitFor(
        () => {
          calls += 1;
          throw new Error('connection refused');
        },
        { timeout: 30, interval: 5, what: 'the store' },
      ),
      (err: Error) => {
        assert.match(err.message, /^waited 30 ms for the store \(last attempt: Error: connection refused\)$/);
        assert.ok(err.cause instanceof Error);
        return true;
      },
    );
    assert.ok(calls >= 2, `polled ${calls} times`);
  });

  it('describes the state at the moment it gives up when `what` is a function', async () => {
    let seen = 0;
    await assert.rejects(
      waitFor(() => ++seen > 1e9, { timeout: 20, interval: 5, what: () => `more polls (${seen} so far)` }),
      /^Error: waited 20 ms for more polls \([0-9]+ so far\)$/,
    );
  });

  it('is bounded: a condition that never holds rejects after the timeout', async () => {
    const started = performance.now();
    await assert.rejects(
      waitFor(async () => false, { timeout: 50 }),
      /waited 50 ms for the condition$/,
    );
    assert.ok(performance.now() - started >= 50);
  });
});
