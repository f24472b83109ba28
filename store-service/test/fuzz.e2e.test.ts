// Property test over the wire: any int64, any int32, any string in any field of any
// request (encoded with 64-bit integers, as any client may send them) → an answer with a
// gRPC status the contract names, INVALID_ARGUMENT naming a field, never INTERNAL/UNKNOWN.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { create, createFileRegistry, type DescMessage, fromBinary, toBinary } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { type EmbeddedDynamo, startEmbeddedDynamo } from 'local-runtime/dynalite';
import { type LocalIssuer, startIssuer } from 'local-runtime/issuer';
import type { ServiceProcess } from 'local-runtime/process';
import { startStore } from 'local-runtime/services';
import { DESCRIPTOR_SET_FILE } from 'store-contract';

const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, readFileSync(DESCRIPTOR_SET_FILE)));
const service = registry.getService('store.v1.StoreService');
const ALLOWED = new Set([
  grpc.status.OK,
  grpc.status.INVALID_ARGUMENT,
  grpc.status.NOT_FOUND,
  grpc.status.ALREADY_EXISTS,
  grpc.status.ABORTED,
  grpc.status.FAILED_PRECONDITION,
  // tenant_id other than the token's (the token is for the request's tenant when that is
  // a tenant the issuer signs for, else for "fz").
  grpc.status.PERMISSION_DENIED,
]);

/** Arbitrary values for every scalar field of a request message (nested messages left out). */
function arbitraryRequest(schema: DescMessage, knownId: string) {
  const fields: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of schema.fields) {
    if (field.fieldKind === 'list' && field.scalar !== undefined)
      fields[field.localName] = fc.array(fc.string(), { maxLength: 25 });
    if (field.fieldKind === 'enum') fields[field.localName] = fc.integer({ min: -5, max: 20 });
    if (field.fieldKind !== 'scalar') continue;
    const kind = field.scalar;
    if (kind === 9)
      // string
      fields[field.localName] =
        field.name === 'tenant_id'
          ? fc.oneof(fc.constant('fz'), fc.string({ maxLength: 80 }))
          : field.name === 'id'
            ? fc.oneof(fc.constant(knownId), fc.uuid(), fc.string({ maxLength: 60 }))
            : fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 260 }));
    else if (kind === 3)
      fields[field.localName] = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }); // int64
    else if (kind === 5)
      fields[field.localName] = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }); // int32
    else if (kind === 8) fields[field.localName] = fc.boolean();
  }
  return fc.record(fields, { requiredKeys: [] });
}

describe('store under random requests (fast-check, over the wire)', () => {
  let dynamo: EmbeddedDynamo;
  let issuer: LocalIssuer;
  let store: ServiceProcess;
  let client: grpc.Client;
  let knownId = '';
  before(async () => {
    dynamo = await startEmbeddedDynamo();
    issuer = await startIssuer();
    store = await startStore(dynamo, issuer.env);
    client = new grpc.Client(`127.0.0.1:${store.ports.port}`, grpc.credentials.createInsecure());
    const createSchema = registry.getMessage('store.v1.CreateItemRequest');
    const createResponse = registry.getMessage('store.v1.CreateItemResponse');
    assert.ok(createSchema && createResponse);
    const created = await call(
      'CreateItem',
      toBinary(
        createSchema,
        create(createSchema, {
          tenantId: 'fz',
          name: 'Target',
          priceCents: 1n,
          category: 1,
          inventoryCount: 5n,
        }),
      ),
    );
    assert.equal(created.code, grpc.status.OK);
    knownId = (
      fromBinary(createResponse, created.bytes ?? new Uint8Array()) as unknown as { item: { id: string } }
    ).item.id;
  });
  after(async () => {
    client?.close();
    await store?.stop();
    await dynamo?.close();
    await issuer?.close();
  });

  const tokens = new Map<string, Promise<string>>();
  /** A token for the request's tenant (cached), or for "fz" when the request names none. */
  const tokenFor = (tenantId: string) => {
    const tenant = tenantId === '' ? 'fz' : tenantId;
    const token = tokens.get(tenant) ?? issuer.token(tenant);
    tokens.set(tenant, token);
    return token;
  };

  async function call(method: string, bytes: Uint8Array, tenantId = 'fz') {
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${await tokenFor(tenantId)}`);
    return new Promise<{ code: number; field: string | undefined; bytes?: Buffer; servedBy: unknown }>(
      (resolve) => {
        let response: Buffer | undefined;
        const c = client.makeUnaryRequest(
          `/store.v1.StoreService/${method}`,
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.from(bytes),
          metadata,
          { deadline: Date.now() + 5000 },
          (_err, value) => {
            response = value;
          },
        );
        // The callback (with the response) may run after the status event: resolve a tick later.
        c.on('status', (s) =>
          setImmediate(() =>
            resolve({
              code: s.code,
              field: s.metadata.get('x-field')[0] as string | undefined,
              bytes: response,
              servedBy: s.metadata.get('x-served-by')[0],
            }),
          ),
        );
      },
    );
  }

  it('answers every request with a contract status; INVALID_ARGUMENT names a field; x-served-by on all', async () => {
    const methods = service?.methods ?? [];
    assert.equal(methods.length, 6);
    const seen: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(
        fc
          .constantFrom(...methods)
          .chain((m) => arbitraryRequest(m.input, knownId).map((fields) => ({ m, fields }))),
        async ({ m, fields }) => {
          const bytes = toBinary(m.input, create(m.input, fields as never));
          const tenant = (fields as { tenantId?: unknown }).tenantId;
          const r = await call(m.name, bytes, typeof tenant === 'string' ? tenant : '');
          seen[grpc.status[r.code] ?? String(r.code)] = (seen[grpc.status[r.code] ?? ''] ?? 0) + 1;
          assert.ok(
            ALLOWED.has(r.code),
            `${m.name} ${JSON.stringify(fields, (_, v) => (typeof v === 'bigint' ? String(v) : v)).slice(0, 300)} → ${grpc.status[r.code]}`,
          );
          if (r.code === grpc.status.INVALID_ARGUMENT)
            assert.ok(r.field, `${m.name}: INVALID_ARGUMENT names its field`);
          assert.match(String(r.servedBy), /^store-service@/);
        },
      ),
      { numRuns: 400 },
    );
    assert.ok((seen.INVALID_ARGUMENT ?? 0) > 0 && (seen.OK ?? 0) > 0, JSON.stringify(seen));
  });
});
