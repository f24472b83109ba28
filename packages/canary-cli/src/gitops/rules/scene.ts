import {
  type Middleware,
  type MiddlewareRef,
  readIngressRoute,
  readMiddleware,
  readRule,
} from 'routing-model/traefik';
import { flattenApplications, type RenderedApplication } from '../argo.ts';
import { asArray, at, type K8sObject, type RenderedObject, syncWave } from '../objects.ts';
import type { Scene } from './types.ts';

/** Every Application of the scene: stable, PR, and the PR workloads inside them. */
export const allApplications = (scene: Scene): RenderedApplication[] =>
  flattenApplications([...scene.stable, ...scene.canary]);

const objectsOfScene = new WeakMap<Scene, readonly RenderedObject[]>();

/** Every object of the scene: Argo CD's own, and what every Application applies (computed once per scene). */
export function allObjects(scene: Scene): readonly RenderedObject[] {
  let objects = objectsOfScene.get(scene);
  if (objects === undefined) {
    objects = [...scene.argo, ...allApplications(scene).flatMap((a) => a.objects)];
    objectsOfScene.set(scene, objects);
  }
  return objects;
}

/**
 * What object rules are run on: every object of the scene and the Applications its
 * ApplicationSets generate (which no Application renders as an object).
 */
export const checkedObjects = (scene: Scene): RenderedObject[] => [
  ...allObjects(scene),
  ...allApplications(scene)
    .filter((a) => a.generatedBy !== undefined)
    .map((a) => ({ object: a.application, file: a.file })),
];

/** Objects of a kind. */
export const ofKind = (items: readonly RenderedObject[], kind: string) =>
  items.filter(({ object }) => object.kind === kind);

/** The object of a kind, namespace and name, if rendered. */
export function findObject(
  scene: Scene,
  kind: string,
  namespace: string | undefined,
  name: string,
): RenderedObject | undefined {
  return allObjects(scene).find(
    ({ object }) =>
      object.kind === kind &&
      object.metadata.name === name &&
      (namespace === undefined || object.metadata.namespace === namespace),
  );
}

/** The PR workload Applications (rendered from a PR's head). */
export const workloadApplications = (scene: Scene) =>
  flattenApplications(scene.canary).filter((a) => a.fromPullRequestHead);

export interface TraefikRoute {
  readonly match: string;
  readonly priority?: number;
  readonly middlewares?: ReadonlyArray<{ readonly name: string; readonly namespace?: string }>;
  readonly services?: ReadonlyArray<{
    readonly name: string;
    readonly namespace?: string;
    readonly port?: unknown;
  }>;
}

/** An IngressRoute's routes as written (rules not yet reading routing-model's IngressRoute). */
export const traefikRoutes = (object: K8sObject) => asArray(at(object, 'spec', 'routes')) as TraefikRoute[];

/** `Header(`name`, `value`)` matchers of a Traefik rule, in order (read by routing-model). */
export const headerMatchers = (rule: string): Array<{ name: string; value: string }> =>
  readRule(rule).matchers.flatMap((m) => (m.kind === 'Header' ? [{ name: m.name, value: m.value }] : []));

/** The first Host() of a Traefik rule (read by routing-model). */
export const hostOf = (rule: string): string | undefined =>
  readRule(rule).matchers.flatMap((m) => (m.kind === 'Host' ? [m.host] : []))[0];

/** The Middleware a route refers to (namespace defaults to the route's). */
export function middlewareOf(
  scene: Scene,
  ref: { name: string; namespace?: string },
  from: K8sObject,
): K8sObject | undefined {
  return findObject(scene, 'Middleware', ref.namespace ?? from.metadata.namespace, ref.name)?.object;
}

/** Traefik's view of a Middleware a route refers to, if rendered. */
export function middlewareFor(scene: Scene, ref: MiddlewareRef): Middleware | undefined {
  const found = findObject(scene, 'Middleware', ref.namespace, ref.name);
  return found === undefined ? undefined : readMiddleware(found.object);
}

/** Every route of every IngressRoute of the scene, typed (routing-model), with its object. */
export const ingressRoutes = (scene: Scene) =>
  ofKind(allObjects(scene), 'IngressRoute').flatMap((item) => {
    const ingress = readIngressRoute(item.object);
    return ingress.routes.map((route) => ({ item, ingress, route }));
  });

export const containers = (object: K8sObject) =>
  asArray(at(object, 'spec', 'template', 'spec', 'containers')) as Array<Record<string, unknown>>;

/** Sync wave of an object; Argo CD's default is 0. */
export { syncWave };
