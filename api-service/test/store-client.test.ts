// What the api's store client concludes about a failed write: the contract's metadata
// decides (x-outcome, written by the store and by the lab's mesh); without it, only whether
// the call reached a server does. The message text never decides.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { errorMetadata, StoreServiceService, UpdateItemRequest, type WriteOutcome } from 'store-contract';
import { connectStore, type StoreCallError, writeOutcome } from '../src/store-client.ts';

const failure = (code: grpc.status, details: string, outcome?: WriteOutcome): grpc.ServiceError =>
  Object.assign(new Error(details), { code, details, metadata: errorMetadata({ outcome }) });

const request = (expectedVersion = 1) =>
  UpdateItemRequest.fromPartial({
    tenantId: 't',
    id: '00000000-0000-7000-8000-000000000001',
    expectedVersion,
    name: 'x',
  });

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

const failedWrite = (promise: Promise<unknown>) =>
  promise.then(
    () => assert.fail('the write succeeded'),
    (e: unknown) => e as StoreCallError,
  );

describe('store client: write outcomes', () => {
  it('decides from the outcome metadata, whatever the message says', () => {
    const notServing = 'lab mesh: store-service.apps is not serving; nothing was changed';
    assert.equal(writeOutcome(failure(grpc.status.UNAVAILABLE, notServing, 'unknown'), true), 'unknown');
    assert.equal(
      writeOutcome(failure(grpc.status.UNAVAILABLE, 'in flight', 'not_applied'), true),
      'not_applied',
    );
    assert.equal(
      writeOutcome(failure(grpc.status.INTERNAL, 'internal error', 'not_applied'), true),
      'not_applied',
    );
    // Without metadata the same words are no evidence: a reached server cut in flight may have applied it.
    assert.equal(writeOutcome(failure(grpc.status.UNAVAILABLE, notServing), true), 'unknown');
    assert.equal(writeOutcome(failure(grpc.status.DEADLINE_EXCEEDED, 'deadline'), true), 'unknown');
    assert.equal(writeOutcome(failure(grpc.status.NOT_FOUND, 'no item'), true), 'not_applied');
    // A call that never reached a server changed nothing, whatever its code.
    assert.equal(writeOutcome(failure(grpc.status.DEADLINE_EXCEEDED, 'deadline'), false), 'not_applied');
  });

  it('a version past int64 fails to encode before any byte leaves: the write is known not applied', async () => {
    // A port that accepts nothing: the only store there is none.
    const store = connectStore(`127.0.0.1:${await freePort()}`, 500);
    try {
      const err = await failedWrite(store.updateItem(request(1e19), { credential: undefined }));
      assert.match(err.details, /serialization failure/);
      assert.equal(err.outcome, 'not_applied');
    } finally {
      store.close();
    }
  });

  it('a refused connection sent nothing: the write is known not applied', async () => {
    const store = connectStore(`127.0.0.1:${await freePort()}`, 500);
    try {
      const err = await failedWrite(store.updateItem(request(), { credential: undefined }));
      assert.equal(err.code, grpc.status.UNAVAILABLE);
      assert.equal(err.outcome, 'not_applied');
    } finally {
      store.close();
    }
  });

  describe('against a server answering scripted failures', () => {
    const server = new grpc.Server();
    let answer: Partial<grpc.ServiceError> = {};
    let address = '';
    before(async () => {
      server.addService(StoreServiceService, {
        updateItem: (_call: unknown, callback: grpc.sendUnaryData<never>) => callback(answer),
      } as unknown as grpc.UntypedServiceImplementation);
      const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
          err === null ? resolve(p) : reject(err),
        ),
      );
      address = `127.0.0.1:${port}`;
    });
    after(() => server.forceShutdown());

    for (const [label, metadata, expected] of [
      ['outcome not_applied', errorMetadata({ outcome: 'not_applied' }), 'not_applied'],
      ['outcome unknown', errorMetadata({ outcome: 'unknown' }), 'unknown'],
      ['no outcome (a proxy in between)', new grpc.Metadata(), 'unknown'],
    ] as const) {
      it(`UNAVAILABLE "nothing was changed" with ${label}: ${expected}`, async () => {
        answer = { code: grpc.status.UNAVAILABLE, details: 'is not serving; nothing was changed', metadata };
        const store = connectStore(address, 2000);
        try {
          const err = await failedWrite(store.updateItem(request(), { credential: undefined }));
          assert.equal(err.outcome, expected);
        } finally {
          store.close();
        }
      });
    }
  });
});
