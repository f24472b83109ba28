import type { EdgeDecision, EdgeOptions, EdgeRequest, LabEdge } from './edge.ts';
import { EdgeRouter } from './edge-router.ts';
import { buildEdgeTable, type LabObject, selectEdgeRoute } from './edge-table.ts';

/**
 * The lab's own Traefik (EdgeRouter): listens in this process, routes by the table built
 * from the rendered IngressRoutes and Middlewares, resolves backends per request (so a
 * restarted backend needs nothing from `backendsChanged`).
 */
export class EmulatedEdge implements LabEdge {
  readonly kind = 'emulated';
  readonly #router: EdgeRouter;

  constructor(options: EdgeOptions) {
    this.#router = new EdgeRouter({
      entryPoints: options.entryPoints,
      host: options.host,
      resolve: options.resolve,
      guardedEntryPoints: options.guardedEntryPoints,
    });
  }

  validate(objects: readonly LabObject[]): void {
    buildEdgeTable(objects);
  }

  async start(objects: readonly LabObject[]): Promise<void> {
    this.#router.setTable(buildEdgeTable(objects));
    await this.#router.listen();
  }

  async load(objects: readonly LabObject[]): Promise<void> {
    this.#router.setTable(buildEdgeTable(objects));
  }

  async backendsChanged(): Promise<void> {}

  get ports(): Readonly<Record<string, number>> {
    return this.#router.ports;
  }

  routeLines(): string[] {
    return this.#router.table.map(
      (r) =>
        `${r.id} [${r.entryPoints.join(',')}] priority ${r.priority}: ${r.rule} → ${r.backend.name}.${r.backend.namespace}`,
    );
  }

  explain(request: EdgeRequest): EdgeDecision | null {
    const table = this.#router.table;
    const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v]));
    const view = { host: this.#router.hostOf(request.host), path: request.path, headers };
    const edge = selectEdgeRoute(table, request.entryPoint, view);
    if (edge === undefined) return null;
    const outranked = table.filter(
      (r) =>
        r !== edge &&
        r.entryPoints.includes(request.entryPoint) &&
        r.matchers.length > 0 &&
        selectEdgeRoute([r], request.entryPoint, view) !== undefined,
    );
    const forwarded: Record<string, string> = { ...headers };
    for (const mw of edge.middlewares) {
      if (mw.kind !== 'headers') continue;
      for (const name of mw.remove) delete forwarded[name];
      Object.assign(forwarded, mw.set);
    }
    return {
      route: edge.id,
      rule: edge.rule,
      priority: edge.priority,
      explicitPriority: edge.explicitPriority,
      backend: edge.backend,
      middlewares: edge.middlewares.map((m) => m.name),
      outranked: outranked.map((r) => `${r.id} (priority ${r.priority})`),
      forwarded,
    };
  }

  close(): Promise<void> {
    return this.#router.close();
  }
}
