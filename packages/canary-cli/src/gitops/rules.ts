import type { RenderedApplication } from './argo.ts';
import { asArray, at, describe, type K8sObject, type RenderedObject, syncWave } from './objects.ts';
import { schemaProblems } from './schemas.ts';

/** One environment as verify sees it: its Argo CD objects, stable Applications, and sample PR Applications. */
export interface Scene {
  readonly name: string;
  readonly argo: readonly RenderedObject[];
  readonly stable: readonly RenderedApplication[];
  readonly canary: readonly RenderedApplication[];
}

export interface Finding {
  readonly rule: string;
  readonly file: string;
  readonly object: string;
  readonly message: string;
}

export interface Rule {
  readonly name: string;
  readonly description: string;
  check(scene: Scene): Finding[];
}

/** Entrypoints reachable from the internet; anything else (e.g. `internal`) is a guarded path. */
export const PUBLIC_ENTRYPOINTS = new Set(['web', 'websecure']);
const CANARY_HEADER_RULE = /Header\(`X-Canary`\s*,/i;
const RESOURCES_FINALIZER = 'resources-finalizer.argocd.argoproj.io';
const ROUTE_KINDS = new Set(['IngressRoute', 'GRPCRoute']);

const appObjects = (apps: readonly RenderedApplication[]) => apps.flatMap((a) => a.objects);
const allObjects = (scene: Scene) => [
  ...scene.argo,
  ...appObjects(scene.stable),
  ...appObjects(scene.canary),
];
const finding = (rule: string, { object, file }: RenderedObject, message: string): Finding => ({
  rule,
  file,
  object: describe(object),
  message,
});

interface TraefikRoute {
  match: string;
  priority?: number;
  middlewares?: Array<{ name: string; namespace?: string }>;
  services?: Array<{ name: string; namespace?: string }>;
}
const traefikRoutes = (object: K8sObject) => asArray(at(object, 'spec', 'routes')) as TraefikRoute[];
const entryPoints = (object: K8sObject) => asArray(at(object, 'spec', 'entryPoints')) as string[];
const hostOf = (match: string) => /Host\(`([^`]+)`\)/.exec(match)?.[1];
const effectivePriority = (route: TraefikRoute) => route.priority ?? route.match.length;

function middleware(
  scene: Scene,
  ref: { name: string; namespace?: string },
  from: K8sObject,
): K8sObject | undefined {
  const namespace = ref.namespace ?? from.metadata.namespace;
  return allObjects(scene).find(
    ({ object }) =>
      object.kind === 'Middleware' &&
      object.metadata.name === ref.name &&
      object.metadata.namespace === namespace,
  )?.object;
}

const containers = (object: K8sObject) =>
  asArray(at(object, 'spec', 'template', 'spec', 'containers')) as Array<Record<string, unknown>>;

export const RULES: readonly Rule[] = [
  {
    name: 'schema',
    description: 'every object validates against its schema (kubernetes-models and CRD models)',
    check: (scene) =>
      allObjects(scene).flatMap((item) =>
        schemaProblems(item.object).map((problem) => finding('schema', item, problem)),
      ),
  },
  {
    name: 'traefik-v3-api',
    description: 'Traefik v3 only: traefik.io/v1alpha1 and Header()/HeaderRegexp() matchers',
    check: (scene) =>
      allObjects(scene).flatMap((item) => {
        const out: Finding[] = [];
        if (item.object.apiVersion.startsWith('traefik.containo.us/')) {
          out.push(
            finding(
              'traefik-v3-api',
              item,
              'traefik.containo.us is gone in Traefik v3: use traefik.io/v1alpha1',
            ),
          );
        }
        if (item.object.kind === 'IngressRoute') {
          for (const route of traefikRoutes(item.object)) {
            if (/\bHeaders(Regexp)?\(/.test(route.match)) {
              out.push(
                finding(
                  'traefik-v3-api',
                  item,
                  `Traefik v2 matcher in "${route.match}": use Header(…) / HeaderRegexp(…)`,
                ),
              );
            }
          }
        }
        return out;
      }),
  },
  {
    name: 'canary-route-priority',
    description: 'canary routers have an explicit priority above every stable router of the same host',
    check: (scene) => {
      const all = allObjects(scene).filter(({ object }) => object.kind === 'IngressRoute');
      const stable = all.flatMap(({ object }) =>
        traefikRoutes(object).filter((r) => !CANARY_HEADER_RULE.test(r.match)),
      );
      return all.flatMap((item) =>
        traefikRoutes(item.object)
          .filter((r) => CANARY_HEADER_RULE.test(r.match))
          .flatMap((route) => {
            if (route.priority === undefined) {
              return [
                finding(
                  'canary-route-priority',
                  item,
                  `no explicit priority on "${route.match}" (default is the rule length)`,
                ),
              ];
            }
            const rivals = stable.filter((s) => hostOf(s.match) === hostOf(route.match));
            const top = Math.max(0, ...rivals.map(effectivePriority));
            return route.priority > top
              ? []
              : [
                  finding(
                    'canary-route-priority',
                    item,
                    `priority ${route.priority} is not above the stable router's ${top}`,
                  ),
                ];
          }),
      );
    },
  },
  {
    name: 'canary-route-guarded',
    description:
      'canary routers are reachable only on a guarded path (non-public entrypoint or allow-list/forward-auth)',
    check: (scene) =>
      allObjects(scene)
        .filter(({ object }) => object.kind === 'IngressRoute')
        .flatMap((item) =>
          traefikRoutes(item.object)
            .filter((r) => CANARY_HEADER_RULE.test(r.match))
            .flatMap((route) => {
              const onPublic = entryPoints(item.object).filter((e) => PUBLIC_ENTRYPOINTS.has(e));
              const guarded = (route.middlewares ?? []).some((ref) => {
                const mw = middleware(scene, ref, item.object);
                return (
                  at(mw, 'spec', 'ipAllowList') !== undefined || at(mw, 'spec', 'forwardAuth') !== undefined
                );
              });
              if (entryPoints(item.object).length === 0) {
                return [
                  finding(
                    'canary-route-guarded',
                    item,
                    'no entryPoints: Traefik would serve it on every entrypoint',
                  ),
                ];
              }
              return onPublic.length > 0 && !guarded
                ? [
                    finding(
                      'canary-route-guarded',
                      item,
                      `canary router on public entrypoint(s) ${onPublic.join(', ')} without an allow-list or forward-auth middleware`,
                    ),
                  ]
                : [];
            }),
        ),
  },
  {
    name: 'public-entrypoint-strips-canary',
    description: 'routers on public entrypoints strip X-Canary and baggage (headers middleware)',
    check: (scene) =>
      allObjects(scene)
        .filter(
          ({ object }) =>
            object.kind === 'IngressRoute' && entryPoints(object).some((e) => PUBLIC_ENTRYPOINTS.has(e)),
        )
        .flatMap((item) =>
          traefikRoutes(item.object).flatMap((route) => {
            const stripped = new Set<string>();
            for (const ref of route.middlewares ?? []) {
              const headers = at(
                middleware(scene, ref, item.object),
                'spec',
                'headers',
                'customRequestHeaders',
              );
              for (const [name, value] of Object.entries((headers ?? {}) as Record<string, string>)) {
                if (value === '') stripped.add(name.toLowerCase());
              }
            }
            const missing = ['x-canary', 'baggage'].filter((h) => !stripped.has(h));
            return missing.length === 0
              ? []
              : [
                  finding(
                    'public-entrypoint-strips-canary',
                    item,
                    `public router "${route.match}" does not strip ${missing.join(' and ')}`,
                  ),
                ];
          }),
        ),
  },
  {
    name: 'grpcroute-method-match',
    description:
      'every GRPCRoute match with headers also matches the gRPC service (older Linkerd rejects header-only matches)',
    check: (scene) =>
      allObjects(scene)
        .filter(({ object }) => object.kind === 'GRPCRoute')
        .flatMap((item) =>
          asArray(at(item.object, 'spec', 'rules')).flatMap((rule, r) =>
            asArray(at(rule, 'matches')).flatMap((match, m) =>
              asArray(at(match, 'headers')).length > 0 && typeof at(match, 'method', 'service') !== 'string'
                ? [
                    finding(
                      'grpcroute-method-match',
                      item,
                      `rules[${r}].matches[${m}] matches headers only: add method.service`,
                    ),
                  ]
                : [],
            ),
          ),
        ),
  },
  {
    name: 'grpcroute-parent-namespace',
    description:
      "GRPCRoutes live in their parent Service's namespace (producer routes apply to every client)",
    check: (scene) => {
      const services = allObjects(scene).filter(({ object }) => object.kind === 'Service');
      return allObjects(scene)
        .filter(({ object }) => object.kind === 'GRPCRoute')
        .flatMap((item) =>
          asArray(at(item.object, 'spec', 'parentRefs')).flatMap((ref) => {
            const name = at(ref, 'name') as string;
            const homes = services
              .filter(({ object }) => object.metadata.name === name)
              .map(({ object }) => object.metadata.namespace);
            const stableHome = scene.stable
              .flatMap((a) => a.objects)
              .find(({ object }) => object.kind === 'Service' && object.metadata.name === name)?.object
              .metadata.namespace;
            const home = stableHome ?? homes[0];
            if (home === undefined)
              return [
                finding(
                  'grpcroute-parent-namespace',
                  item,
                  `parent Service ${name} is not rendered in ${scene.name}`,
                ),
              ];
            const routeNs = item.object.metadata.namespace;
            const refNs = (at(ref, 'namespace') as string | undefined) ?? routeNs;
            return routeNs === home && refNs === home
              ? []
              : [
                  finding(
                    'grpcroute-parent-namespace',
                    item,
                    `route is in ${routeNs} but its parent Service ${name} is in ${home}: a route elsewhere is a consumer route and applies only to clients there`,
                  ),
                ];
          }),
        );
    },
  },
  {
    name: 'reference-grant',
    description: 'every cross-namespace backendRef is allowed by a ReferenceGrant in the backend namespace',
    check: (scene) => {
      const grants = allObjects(scene).filter(({ object }) => object.kind === 'ReferenceGrant');
      return allObjects(scene)
        .filter(({ object }) => object.kind === 'GRPCRoute' || object.kind === 'HTTPRoute')
        .flatMap((item) => {
          const routeNs = item.object.metadata.namespace;
          return asArray(at(item.object, 'spec', 'rules')).flatMap((rule) =>
            asArray(at(rule, 'backendRefs')).flatMap((ref) => {
              const target = (at(ref, 'namespace') as string | undefined) ?? routeNs;
              if (target === routeNs) return [];
              const name = at(ref, 'name') as string;
              const allowed = grants.some(
                ({ object }) =>
                  object.metadata.namespace === target &&
                  asArray(at(object, 'spec', 'from')).some(
                    (f) =>
                      at(f, 'kind') === item.object.kind &&
                      at(f, 'namespace') === routeNs &&
                      at(f, 'group') === 'gateway.networking.k8s.io',
                  ) &&
                  asArray(at(object, 'spec', 'to')).some(
                    (t) =>
                      at(t, 'kind') === 'Service' &&
                      (at(t, 'group') ?? '') === '' &&
                      [undefined, name].includes(at(t, 'name') as string | undefined),
                  ),
              );
              return allowed
                ? []
                : [
                    finding(
                      'reference-grant',
                      item,
                      `backendRef ${target}/${name} has no ReferenceGrant in ${target} allowing ${item.object.kind}s from ${routeNs}`,
                    ),
                  ];
            }),
          );
        });
    },
  },
  {
    name: 'pr-namespace-managed',
    description:
      'a PR Application renders its Namespace (first sync wave) and carries the resources finalizer',
    check: (scene) =>
      scene.canary.flatMap((app) => {
        const item = { object: app.application, file: app.file };
        const out: Finding[] = [];
        const ns = app.objects.find(
          ({ object }) => object.kind === 'Namespace' && object.metadata.name === app.destinationNamespace,
        );
        const syncOptions = asArray(at(app.application, 'spec', 'syncPolicy', 'syncOptions'));
        if (ns === undefined) {
          out.push(
            finding(
              'pr-namespace-managed',
              item,
              syncOptions.includes('CreateNamespace=true')
                ? `CreateNamespace=true without a Namespace object: ${app.destinationNamespace} would outlive the PR`
                : `Namespace ${app.destinationNamespace} is not rendered by the Application`,
            ),
          );
        } else if (
          !app.objects.every(({ object }) => object === ns.object || syncWave(object) > syncWave(ns.object))
        ) {
          out.push(
            finding(
              'pr-namespace-managed',
              ns,
              'the Namespace must be in an earlier sync wave than everything else',
            ),
          );
        }
        if (!(app.application.metadata.finalizers ?? []).includes(RESOURCES_FINALIZER)) {
          out.push(
            finding(
              'pr-namespace-managed',
              item,
              `missing finalizer ${RESOURCES_FINALIZER}: deleting the Application would leave its objects`,
            ),
          );
        }
        if (at(app.application, 'spec', 'syncPolicy', 'automated', 'prune') !== true) {
          out.push(finding('pr-namespace-managed', item, 'syncPolicy.automated.prune must be true'));
        }
        return out;
      }),
  },
  {
    name: 'pr-objects-confined',
    description: 'a PR Application writes only into its own namespace, plus route objects in apps',
    check: (scene) =>
      scene.canary.flatMap((app) =>
        app.objects.flatMap((item) => {
          const { object } = item;
          if (object.kind === 'Namespace')
            return object.metadata.name === app.destinationNamespace
              ? []
              : [finding('pr-objects-confined', item, 'a second Namespace')];
          if (object.metadata.namespace === app.destinationNamespace) return [];
          if (object.metadata.namespace === 'apps' && ROUTE_KINDS.has(object.kind)) return [];
          return [
            finding(
              'pr-objects-confined',
              item,
              `outside ${app.destinationNamespace} (only IngressRoute and GRPCRoute may go to apps)`,
            ),
          ];
        }),
      ),
  },
  {
    name: 'routes-after-workload',
    description:
      'canary routes sync after their workload and are deleted before it (Linkerd does not fall back)',
    check: (scene) =>
      scene.canary.flatMap((app) => {
        const workloads = app.objects
          .filter(({ object }) => object.kind === 'Deployment')
          .map(({ object }) => syncWave(object));
        const last = Math.max(...workloads, 0);
        return app.objects
          .filter(({ object }) => ROUTE_KINDS.has(object.kind))
          .flatMap((item) =>
            syncWave(item.object) > last
              ? []
              : [
                  finding(
                    'routes-after-workload',
                    item,
                    `sync wave ${syncWave(item.object)} is not after the workload's ${last}`,
                  ),
                ],
          );
      }),
  },
  {
    name: 'immutable-image-tag',
    description:
      'images carry an explicit, immutable tag: no latest, no bare pr-<N>; canaries use pr-<N>-<sha>',
    check: (scene) => {
      const check = (apps: readonly RenderedApplication[], canary: boolean) =>
        apps.flatMap((app) =>
          app.objects
            .filter(({ object }) => object.kind === 'Deployment' || object.kind === 'StatefulSet')
            .flatMap((item) =>
              containers(item.object).flatMap((c) => {
                const image = String(c.image ?? '');
                const tag = /:([^/:@]+)(@.*)?$/.exec(image)?.[1];
                if (tag === undefined && !image.includes('@'))
                  return [finding('immutable-image-tag', item, `${image} has no tag`)];
                if (tag === 'latest')
                  return [finding('immutable-image-tag', item, `${image}: latest is mutable`)];
                if (tag !== undefined && /^pr-\d+$/.test(tag))
                  return [
                    finding(
                      'immutable-image-tag',
                      item,
                      `${image}: a reused pr-<N> tag leaves the pod spec unchanged on push; tag with the head sha`,
                    ),
                  ];
                const pr = app.destinationNamespace.replace(/^.*-canary-pr-/, '');
                if (canary && !new RegExp(`^pr-${pr}-[0-9a-f]{7,40}$`).test(tag ?? '')) {
                  return [
                    finding(
                      'immutable-image-tag',
                      item,
                      `${image}: canary images are tagged pr-${pr}-<head sha>`,
                    ),
                  ];
                }
                return [];
              }),
            ),
        );
      return [...check(scene.stable, false), ...check(scene.canary, true)];
    },
  },
  {
    name: 'pod-hardening',
    description:
      'pods run as non-root, read-only, no privilege escalation, ALL capabilities dropped, RuntimeDefault seccomp, with probes and limits',
    check: (scene) =>
      appObjects([...scene.stable, ...scene.canary])
        .filter(({ object }) => object.kind === 'Deployment' || object.kind === 'StatefulSet')
        .flatMap((item) => {
          const pod = at(item.object, 'spec', 'template', 'spec');
          const out: string[] = [];
          if (at(pod, 'securityContext', 'runAsNonRoot') !== true)
            out.push('pod securityContext.runAsNonRoot is not true');
          for (const c of containers(item.object)) {
            const name = `container ${String(c.name)}`;
            const seccomp =
              at(c, 'securityContext', 'seccompProfile', 'type') ??
              at(pod, 'securityContext', 'seccompProfile', 'type');
            if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost')
              out.push(`${name}: seccompProfile is not RuntimeDefault`);
            if (at(c, 'securityContext', 'allowPrivilegeEscalation') !== false)
              out.push(`${name}: allowPrivilegeEscalation is not false`);
            if (at(c, 'securityContext', 'readOnlyRootFilesystem') !== true)
              out.push(`${name}: readOnlyRootFilesystem is not true`);
            if (!asArray(at(c, 'securityContext', 'capabilities', 'drop')).includes('ALL'))
              out.push(`${name}: capabilities do not drop ALL`);
            for (const kind of ['requests', 'limits']) {
              for (const resource of ['cpu', 'memory']) {
                if (at(c, 'resources', kind, resource) === undefined)
                  out.push(`${name}: no resources.${kind}.${resource}`);
              }
            }
            for (const probe of ['livenessProbe', 'readinessProbe'])
              if (c[probe] === undefined) out.push(`${name}: no ${probe}`);
          }
          return out.map((message) => finding('pod-hardening', item, message));
        }),
  },
  {
    name: 'appproject-cluster-kinds',
    description: 'AppProjects allow no cluster-scoped kind except Namespace, and never Secrets',
    check: (scene) =>
      scene.argo
        .filter(({ object }) => object.kind === 'AppProject')
        .flatMap((item) => {
          const out: Finding[] = [];
          for (const entry of asArray(at(item.object, 'spec', 'clusterResourceWhitelist'))) {
            if (!(at(entry, 'group') === '' && at(entry, 'kind') === 'Namespace')) {
              out.push(
                finding(
                  'appproject-cluster-kinds',
                  item,
                  `cluster-scoped ${String(at(entry, 'group'))}/${String(at(entry, 'kind'))} allowed: only Namespace may be`,
                ),
              );
            }
          }
          for (const entry of asArray(at(item.object, 'spec', 'namespaceResourceWhitelist'))) {
            if (at(entry, 'kind') === 'Secret' || at(entry, 'kind') === '*') {
              out.push(
                finding(
                  'appproject-cluster-kinds',
                  item,
                  `namespaced kind ${String(at(entry, 'kind'))} allowed: secrets never come from git`,
                ),
              );
            }
          }
          return out;
        }),
  },
  {
    name: 'applicationset-template',
    description:
      'PR ApplicationSets use goTemplate with missingkey=error, requeue ≤ 120 s, label opt-in and a sha image tag',
    check: (scene) =>
      scene.argo
        .filter(({ object }) => object.kind === 'ApplicationSet')
        .flatMap((item) => {
          const set = item.object;
          const out: string[] = [];
          if (at(set, 'spec', 'goTemplate') !== true) out.push('spec.goTemplate is not true');
          if (!asArray(at(set, 'spec', 'goTemplateOptions')).includes('missingkey=error'))
            out.push('goTemplateOptions lacks missingkey=error');
          for (const g of asArray(at(set, 'spec', 'generators'))) {
            const requeue = at(g, 'pullRequest', 'requeueAfterSeconds');
            if (typeof requeue !== 'number' || requeue > 120)
              out.push(
                `pullRequest.requeueAfterSeconds is ${String(requeue)} (default 1800): set ≤ 120 and use the webhook`,
              );
            if (asArray(at(g, 'pullRequest', 'github', 'labels')).length === 0)
              out.push('pullRequest has no label filter: every PR (forks included) would deploy');
            if (at(g, 'pullRequest', 'github', 'tokenRef') === undefined)
              out.push('pullRequest.github.tokenRef is missing (unauthenticated calls are rate-limited)');
          }
          const images = asArray(at(set, 'spec', 'template', 'spec', 'source', 'kustomize', 'images')).map(
            String,
          );
          if (!images.every((i) => /\{\{\s*\.head_(short_)?sha(_7)?\s*\}\}/.test(i)))
            out.push('template images are not tagged with the head sha');
          return out.map((message) => finding('applicationset-template', item, message));
        }),
  },
  {
    name: 'no-secrets-in-git',
    description: 'no Secret objects in the manifests',
    check: (scene) =>
      allObjects(scene)
        .filter(({ object }) => object.kind === 'Secret')
        .map((item) =>
          finding(
            'no-secrets-in-git',
            item,
            'Secrets never live in git: create them in the cluster (or with an external secrets operator)',
          ),
        ),
  },
];

export function runRules(scenes: readonly Scene[], rules: readonly Rule[] = RULES): Finding[] {
  return scenes.flatMap((scene) => rules.flatMap((rule) => rule.check(scene)));
}
