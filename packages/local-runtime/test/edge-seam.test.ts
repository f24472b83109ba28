// The lab's edge seam: the lab drives its edge only through LabEdge (start, load,
// backendsChanged, explain, close), so another implementation (real Traefik) plugs in.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PlatformObject } from 'routing-model';
import { loadCatalogue } from 'service-catalogue';
import type { EdgeDecision, EdgeOptions, EdgeRequest, LabEdge } from '../src/lab/edge.ts';
import { edgeFactory } from '../src/lab/edges.ts';
import { EmulatedEdge } from '../src/lab/emulated-edge.ts';
import { Routers } from '../src/lab/routers.ts';
import { TraefikEdge } from '../src/lab/traefik-edge.ts';
import { repoRoot } from '../src/paths.ts';

class RecordingEdge implements LabEdge {
  readonly kind = 'traefik';
  readonly calls: string[] = [];
  readonly options: EdgeOptions;
  constructor(options: EdgeOptions) {
    this.options = options;
  }
  validate(objects: readonly PlatformObject[]): void {
    this.calls.push(`validate ${objects.length}`);
  }
  async start(objects: readonly PlatformObject[]): Promise<void> {
    this.calls.push(`start ${objects.length}`);
  }
  async load(objects: readonly PlatformObject[]): Promise<void> {
    this.calls.push(`load ${objects.length}`);
  }
  async backendsChanged(): Promise<void> {
    this.calls.push('backendsChanged');
  }
  readonly ports = { internal: 1 };
  routeLines(): string[] {
    return ['one line'];
  }
  explain(request: EdgeRequest): EdgeDecision {
    this.calls.push(`explain ${request.entryPoint}`);
    return {
      route: 'IngressRoute apps/x routes[0]',
      rule: 'Host(`h`)',
      priority: 9,
      explicitPriority: false,
      backend: { name: 'api-service', namespace: 'api-canary-pr-5', port: 8080 },
      middlewares: [],
      outranked: [],
      forwarded: { 'x-canary': '5' },
    };
  }
  async close(): Promise<void> {
    this.calls.push('close');
  }
}

describe('the lab edge seam', () => {
  it('the emulated edge is the default implementation; real Traefik is the other, and making one starts nothing', () => {
    const options = {
      entryPoints: {},
      host: 'h',
      resolve: () => ({ kind: 'down', reason: '' }) as const,
      guardedEntryPoints: [],
    };
    assert.ok(edgeFactory('emulated')(options) instanceof EmulatedEdge);
    const traefik = edgeFactory('traefik')(options);
    assert.ok(traefik instanceof TraefikEdge);
    assert.deepEqual(traefik.ports, {}, 'no port before start');
  });

  it('the routers drive an injected edge only through the interface, and explain follows its decision', async () => {
    let edge: RecordingEdge | undefined;
    const routers = new Routers(
      loadCatalogue(repoRoot),
      () => ({ kind: 'down', reason: 'test' }),
      (options) => {
        edge = new RecordingEdge(options);
        return edge;
      },
    );
    try {
      await routers.listenMesh([]);
      await routers.listenEdge([], { internal: 0 }, 'api.example.com');
      assert.deepEqual(edge?.options.guardedEntryPoints, ['internal']);
      assert.equal(edge?.options.host, 'api.example.com');
      await routers.setObjects([]);
      await routers.backendsChanged();
      assert.deepEqual(routers.edgePorts, { internal: 1 });
      assert.deepEqual(routers.routeLines().edge, ['one line']);
      const why = routers.explain({ entryPoint: 'internal', host: 'localhost', path: '/', headers: {} });
      assert.equal(why.edgeKind, 'traefik');
      // The key the edge forwards is the key the mesh hops are decided with.
      assert.equal(why.propagatedKey, '5');
      assert.equal(why.edge?.backend, 'api-service.api-canary-pr-5');
      assert.equal(why.mesh[0]?.parent, 'store-service.apps');
      await routers.closeEdge();
      assert.deepEqual(edge?.calls, [
        'start 0',
        'validate 0',
        'load 0',
        'backendsChanged',
        'explain internal',
        'close',
      ]);
    } finally {
      await routers.closeMesh();
    }
  });
});
