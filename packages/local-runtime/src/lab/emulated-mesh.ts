import type { PlatformObject } from 'routing-model';
import { buildMeshTable, type GrpcCallView, isCanaryRule, routeMeshCall } from 'routing-model/mesh';
import type { ServiceEntry } from 'service-catalogue';
import { STABLE_NAMESPACE } from 'service-catalogue';
import type { BackendResolver } from './backends.ts';
import type { LabMesh, MeshDecision } from './edge.ts';
import { MeshRouter } from './mesh-router.ts';

/** The lab's own Linkerd: one MeshRouter (this process) in front of every mesh service of the catalogue. */
export class EmulatedMesh implements LabMesh {
  readonly #catalogue: readonly ServiceEntry[];
  readonly #resolve: BackendResolver;
  readonly #routers = new Map<string, MeshRouter>();

  constructor(catalogue: readonly ServiceEntry[], resolve: BackendResolver) {
    this.#catalogue = catalogue;
    this.#resolve = resolve;
  }

  validate(objects: readonly PlatformObject[]): void {
    buildMeshTable(objects);
  }

  async start(objects: readonly PlatformObject[]): Promise<void> {
    const table = buildMeshTable(objects);
    for (const entry of this.#catalogue.filter((e) => e.exposure === 'mesh')) {
      const router = new MeshRouter(
        { name: entry.name, namespace: STABLE_NAMESPACE, port: entry.port },
        this.#resolve,
      );
      router.setTable(table);
      await router.listen();
      this.#routers.set(entry.name, router);
    }
  }

  async load(objects: readonly PlatformObject[]): Promise<void> {
    const table = buildMeshTable(objects);
    for (const router of this.#routers.values()) router.setTable(table);
  }

  address(service: string): string {
    const router = this.#routers.get(service);
    if (router === undefined) throw new Error(`no mesh router for ${service} (its exposure is not mesh)`);
    return `127.0.0.1:${router.port}`;
  }

  get ports(): Readonly<Record<string, number>> {
    return Object.fromEntries([...this.#routers.entries()].map(([name, router]) => [name, router.port]));
  }

  routeLines(): string[] {
    // Every mesh router holds the same table (rules by parent): print it once.
    const [first] = this.#routers.values();
    return [...(first?.table.entries() ?? [])].flatMap(([parent, rules]) =>
      rules.map((r) => {
        const when =
          r.matches.length === 0
            ? 'any call'
            : r.matches
                .map((m) =>
                  [m.service && `service ${m.service}`, ...m.headers.map((h) => `${h.name}: ${h.value}`)]
                    .filter(Boolean)
                    .join(' and '),
                )
                .join(' or ');
        return `${r.id} on ${parent}: ${when} → ${r.backend.name}.${r.backend.namespace}`;
      }),
    );
  }

  decide(service: string, call: GrpcCallView): MeshDecision {
    const router = this.#routers.get(service);
    if (router === undefined) throw new Error(`no mesh router for ${service} (its exposure is not mesh)`);
    const decision = routeMeshCall(router.table, router.parent, call);
    return {
      rule: decision.rule === null ? null : decision.rule?.id,
      backend: decision.backend,
      byKey: decision.rule !== null && decision.rule !== undefined && isCanaryRule(decision.rule),
    };
  }

  async close(): Promise<void> {
    for (const router of this.#routers.values()) await router.close().catch(() => undefined);
  }
}
