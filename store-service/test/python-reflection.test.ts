// A client nobody here wrote (Debian's Python grpcio) that learns the store only from
// server reflection: real file names, declared dependencies, proto3 optional fields, the
// health service listed; then it calls every RPC, error paths included.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type EmbeddedDynamo, startEmbeddedDynamo } from 'local-runtime/dynalite';
import { type LocalIssuer, startIssuer } from 'local-runtime/issuer';
import type { ServiceProcess } from 'local-runtime/process';
import { startStore } from 'local-runtime/services';
import { requireTool } from 'test-harness/tools';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const client = fileURLToPath(new URL('./python/reflection_client.py', import.meta.url));
// The reflection protocol's proto as its npm package ships it (stubs are generated from it here).
const reflectionProto = fileURLToPath(
  import.meta.resolve('@grpc/reflection/build/proto/grpc/reflection/v1alpha/reflection.proto'),
);

describe('a Python client that learns the store from reflection', async () => {
  const missing = await requireTool(
    PYTHON,
    ['-c', 'import grpc, grpc_tools.protoc'],
    'python3-grpcio python3-grpc-tools',
  );
  let dynamo: EmbeddedDynamo;
  let issuer: LocalIssuer;
  let store: ServiceProcess;
  let stubs: string;
  before(async () => {
    if (missing) return;
    dynamo = await startEmbeddedDynamo();
    issuer = await startIssuer();
    store = await startStore(dynamo, issuer.env);
    stubs = await mkdtemp(join(tmpdir(), 'py-reflection-'));
    await run(PYTHON, [
      '-m',
      'grpc_tools.protoc',
      `-I${dirname(reflectionProto)}`,
      `--python_out=${stubs}`,
      `--grpc_python_out=${stubs}`,
      reflectionProto,
    ]);
  });
  after(async () => {
    await store?.stop();
    await dynamo?.close();
    await issuer?.close();
    if (stubs !== undefined) await rm(stubs, { recursive: true, force: true });
  });

  it('sees the real files and services, and calls every RPC with a token, including the error paths and calls without one', {
    skip: missing,
  }, async () => {
    const token = await issuer.token('py');
    const { stdout } = await run(PYTHON, [client, `127.0.0.1:${store.ports.port}`, stubs, token], {
      timeout: 60_000,
    });
    const seen = JSON.parse(stdout) as {
      services: string[];
      files: Record<string, string[]>;
      proto3_optional: string[];
      results: Record<string, unknown> & {
        errors: Record<string, { code: string; field: string | null; served_by: string | null }>;
      };
    };
    assert.deepEqual([...seen.services].sort(), [
      'grpc.health.v1.Health',
      'grpc.reflection.v1.ServerReflection',
      'grpc.reflection.v1alpha.ServerReflection',
      'store.v1.StoreService',
    ]);
    assert.deepEqual(seen.files['store/v1/store.proto'], ['google/protobuf/timestamp.proto']);
    assert.ok('google/protobuf/timestamp.proto' in seen.files);
    assert.ok('grpc/health/v1/health.proto' in seen.files, Object.keys(seen.files).join(', '));
    assert.deepEqual(seen.proto3_optional, [
      'name',
      'description',
      'price_cents',
      'category',
      'status',
      'sku',
    ]);
    const r = seen.results;
    for (const rpc of [
      'CreateItem',
      'GetItem',
      'UpdateItem',
      'ListItems',
      'UpdateInventory',
      'DeleteItem',
      'Health',
    ])
      assert.equal(r[rpc], 'OK', rpc);
    assert.equal(r['UpdateItem.name'], 'Dune Messiah');
    assert.equal(r['ListItems.count'], 1);
    assert.equal(r['UpdateInventory.replayed'], true);
    assert.equal(r['UpdateInventory.count'], 2, 'the replay applied nothing');
    assert.equal(r['Health.status'], 'SERVING');
    assert.match(String(r.served_by), /^store-service@stable/);
    assert.deepEqual(Object.fromEntries(Object.entries(r.errors).map(([k, v]) => [k, [v.code, v.field]])), {
      'GetItem missing': ['NOT_FOUND', null],
      'CreateItem empty name': ['INVALID_ARGUMENT', 'name'],
      'UpdateInventory 2^60': ['INVALID_ARGUMENT', 'quantity_change'],
      'UpdateItem stale': ['ABORTED', null],
      'GetItem no token': ['UNAUTHENTICATED', null],
      'GetItem other tenant': ['PERMISSION_DENIED', null],
    });
    for (const [name, e] of Object.entries(r.errors))
      assert.match(String(e.served_by), /^store-service@/, name);
  });
});
