import type { PlatformObject } from 'routing-model';
import { buildEdgeTable } from 'routing-model/traefik';
import type { EdgeDecision, EdgeOptions, EdgeRequest, LabEdge } from './edge.ts';
import { decideEdge } from './edge-decision.ts';
import { EdgeRouter } from './edge-router.ts';

/**
 * The lab's own Traefik (EdgeRouter): listens in this process, routes by the table built
 * from the rendered IngressRoutes and Middlewares, resolves backends per request (so a
 * restarted backend needs nothing from `backendsChanged`).
 */
export class EmulatedEdge implements LabEdge {
  readonly kind = 'emulated';
  readonly #router: EdgeRouter;
  readonly #host: string;

  constructor(options: EdgeOptions) {
    this.#host = options.host;
    this.#router = new EdgeRouter({
      entryPoints: options.entryPoints,
      host: options.host,
      resolve: options.resolve,
      guardedEntryPoints: options.guardedEntryPoints,
    });
  }

  validate(objects: readonly PlatformObject[]): void {
    buildEdgeTable(objects);
  }

  async start(objects: readonly PlatformObject[]): Promise<void> {
    this.#router.setTable(buildEdgeTable(objects));
    await this.#router.listen();
  }

  async load(objects: readonly PlatformObject[]): Promise<void> {
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
    return decideEdge(this.#router.table, request, this.#host);
  }

  close(): Promise<void> {
    return this.#router.close();
  }
}
