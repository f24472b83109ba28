// A Ruby program that nobody here wrote the client library for (Debian's ruby-grpc with
// the generated gem) calls the running store-service: create, get, list, and an error.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type EmbeddedDynamo, startEmbeddedDynamo } from 'local-runtime/dynalite';
import { type LocalIssuer, startIssuer } from 'local-runtime/issuer';
import type { ServiceProcess } from 'local-runtime/process';
import { startStore } from 'local-runtime/services';
import { RUBY_GEM_LIB } from 'store-contract';
import { requireTool } from 'test-harness/tools';

const run = promisify(execFile);
const client = fileURLToPath(new URL('./ruby/client.rb', import.meta.url));

describe('Ruby gRPC client (generated gem + Debian ruby-grpc)', async () => {
  const missing = await requireTool(
    'ruby',
    ['-e', 'require "grpc"; require "google/protobuf"'],
    'ruby ruby-grpc ruby-google-protobuf',
  );
  let dynamo: EmbeddedDynamo;
  let issuer: LocalIssuer;
  let store: ServiceProcess;

  before(async () => {
    if (missing) return;
    dynamo = await startEmbeddedDynamo();
    issuer = await startIssuer();
    // Successful calls are logged at debug; the test reads the CreateItem line.
    store = await startStore(dynamo, { ...issuer.env, LOG_LEVEL: 'debug' });
  });
  after(async () => {
    await store?.stop();
    await dynamo?.close();
    await issuer?.close();
  });

  it('authenticates with a token, creates, gets and lists items, and sees INVALID_ARGUMENT', {
    skip: missing,
  }, async () => {
    const token = await issuer.token('ruby', { user: 'matz' });
    const { stdout } = await run(
      'ruby',
      ['-I', RUBY_GEM_LIB, client, `127.0.0.1:${store.ports.port}`, token],
      {
        timeout: 30_000,
      },
    );
    const seen = JSON.parse(stdout) as {
      created: {
        id: string;
        created: boolean;
        version: number;
        category: string;
        status: string;
        tags: string[];
        created_at: number;
      };
      got: { id: string; name: string; price_cents: number; created_by: string };
      served_by: string;
      listed: string[];
      error: { code: number; details: string };
      no_token: { code: number; details: string };
      other_tenant: { code: number; details: string };
    };
    assert.match(seen.created.id, /^[0-9a-f-]{36}$/);
    assert.equal(seen.created.created, true);
    assert.equal(seen.created.version, 1);
    assert.equal(seen.created.category, 'CATEGORY_BOOKS');
    assert.equal(seen.created.status, 'ITEM_STATUS_ACTIVE');
    assert.deepEqual(seen.created.tags, ['ruby', 'books']);
    assert.ok(seen.created.created_at > 1_700_000_000, 'timestamp decoded');
    assert.deepEqual(seen.got, {
      id: seen.created.id,
      name: 'Programming Ruby',
      price_cents: 3999,
      created_by: 'matz',
    });
    assert.equal(seen.served_by, 'store-service@stable (dev)');
    assert.deepEqual(seen.listed, [seen.created.id]);
    assert.equal(seen.error.code, 3, 'INVALID_ARGUMENT');
    assert.match(seen.error.details, /^id: /);
    assert.equal(seen.no_token.code, 16, 'UNAUTHENTICATED without a token');
    assert.equal(seen.other_tenant.code, 7, "PERMISSION_DENIED for a tenant other than the token's");
    const ruby = store.logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.rpc === 'CreateItem');
    assert.equal(ruby?.canary, '42', 'the store read x-canary sent by the Ruby client');
  });
});
