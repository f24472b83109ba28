// What the api's store client concludes about a failed write: "may have been applied"
// (outcome_unknown) only when the request could have reached a store.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { UpdateItemRequest } from 'store-contract';
import { connectStore, outcomeUnknown } from '../src/store-client.ts';

const failure = (code: grpc.status, details: string, outcome?: string): grpc.ServiceError => {
  const metadata = new grpc.Metadata();
  if (outcome !== undefined) metadata.set('x-outcome', outcome);
  return Object.assign(new Error(details), { code, details, metadata });
};

describe('store client: unknown outcomes', () => {
  it('a request that could not be encoded was never sent: not an unknown outcome', () => {
    assert.equal(
      outcomeUnknown(failure(grpc.status.INTERNAL, 'Request message serialization failure: invalid int64')),
      false,
    );
    assert.equal(outcomeUnknown(failure(grpc.status.INTERNAL, 'internal error')), true);
    // The store tried a stock change under contention and applied nothing.
    assert.equal(
      outcomeUnknown(
        failure(
          grpc.status.UNAVAILABLE,
          'the stock of item x kept changing under this change (5 attempts): nothing was changed, retry',
        ),
      ),
      false,
    );
    assert.equal(outcomeUnknown(failure(grpc.status.UNAVAILABLE, 'x', 'unknown')), true);
  });

  it('a version past int64 fails to encode before any byte leaves: the write is known not applied', async () => {
    // A port that accepts nothing: the only store there is none.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
    const { port } = probe.address() as { port: number };
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const store = connectStore(`127.0.0.1:${port}`, 500);
    try {
      const request = UpdateItemRequest.fromPartial({
        tenantId: 't',
        id: '00000000-0000-7000-8000-000000000001',
        expectedVersion: 1e19,
        name: 'x',
      });
      const err = await store.updateItem(request, { credential: undefined }).then(
        () => assert.fail('encoded a version of 1e19'),
        (e: unknown) => e as grpc.ServiceError & { outcomeUnknown?: boolean },
      );
      assert.match(err.details, /serialization failure/);
      assert.notEqual(err.outcomeUnknown, true);
    } finally {
      store.close();
    }
  });
});
