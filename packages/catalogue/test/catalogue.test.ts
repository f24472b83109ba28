import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  CANARY_NAMESPACE_GLOB,
  CatalogueError,
  canaryNamespace,
  isolatedTable,
  loadCatalogue,
  parseCatalogue,
  prOfNamespace,
  startOrder,
} from '../src/index.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const entry = (name: string, fields: Record<string, unknown> = {}) => ({
  name,
  description: name,
  protocol: 'grpc',
  exposure: 'mesh',
  port: 8080,
  metricsPort: 9090,
  namespacePrefix: name.split('-')[0],
  label: `canary:${name}`,
  image: name,
  workspace: name,
  entry: `${name}/src/main.ts`,
  grpcService: `${name.split('-')[0]}.v1.Service`,
  health: { liveness: '', readiness: 'x.v1.Service' },
  downstreams: [],
  aws: false,
  data: null,
  ...fields,
});

describe('service catalogue', () => {
  it('loads this repository’s catalogue', () => {
    assert.deepEqual(
      loadCatalogue(repoRoot).map((e) => e.name),
      ['api-service', 'store-service'],
    );
  });

  it('reports every problem at once, each naming the entry and field', () => {
    assert.throws(
      () =>
        parseCatalogue([
          entry('a-service', { label: 'canary:other', port: 9090 }),
          entry('b-service', { protocol: 'http', downstreams: [{ service: 'ghost', env: 'GHOST_ADDRESS' }] }),
        ]),
      (err: unknown) => {
        assert.ok(err instanceof CatalogueError);
        for (const line of [
          'a-service.label: must be canary:a-service',
          'a-service.metricsPort: must differ from port',
          'b-service.grpcService: must be null for http',
          'b-service.downstreams: ghost is not in the catalogue',
        ])
          assert.match(err.message, new RegExp(line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
        return true;
      },
    );
  });

  it('orders services after the services they call, and refuses a call cycle', () => {
    const catalogue = parseCatalogue([
      entry('a-service', { downstreams: [{ service: 'b-service', env: 'B_ADDRESS' }] }),
      entry('b-service', { downstreams: [{ service: 'c-service', env: 'C_ADDRESS' }] }),
      entry('c-service'),
    ]);
    assert.deepEqual(
      startOrder(catalogue).map((e) => e.name),
      ['c-service', 'b-service', 'a-service'],
    );
    const cyclic = parseCatalogue([
      entry('a-service', { downstreams: [{ service: 'b-service', env: 'B_ADDRESS' }] }),
      entry('b-service', { downstreams: [{ service: 'a-service', env: 'A_ADDRESS' }] }),
    ]);
    assert.throws(() => startOrder(cyclic), /cycle: a-service → b-service → a-service/);
  });

  it('owns the canary namespace and isolated table shapes', () => {
    assert.equal(canaryNamespace({ namespacePrefix: 'store' }, 7), 'store-canary-pr-7');
    assert.equal(prOfNamespace('store-canary-pr-7'), '7');
    assert.equal(prOfNamespace('apps'), undefined);
    assert.equal(prOfNamespace('store-canary-pr-07'), undefined);
    assert.equal(prOfNamespace('-canary-pr-7'), undefined);
    assert.equal(isolatedTable('store-items', 42), 'store-items-pr-42');
    assert.throws(() => canaryNamespace({ namespacePrefix: 'store' }, 0), CatalogueError);
    assert.equal(CANARY_NAMESPACE_GLOB, '*-canary-pr-*');
  });
});
