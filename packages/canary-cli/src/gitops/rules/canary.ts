import { CANARY_HEADER, CANARY_METADATA_KEY } from 'canary-context';
import { canaryTrack, STABLE_TRACK } from 'service-catalogue';
import type { RenderedApplication } from '../argo.ts';
import { asArray, at, isClusterScoped, type K8sObject, type RenderedObject, syncWave } from '../objects.ts';
import { MANIFESTS } from '../render.ts';
import {
  allApplications,
  allObjects,
  containers,
  headerMatchers,
  hostOf,
  middlewareOf,
  traefikRoutes,
} from './scene.ts';
import { appItem, type Finding, finding, type Rule, type Scene } from './types.ts';

/** The platform settings file (the default branch, the registry …). */
export const PLATFORM_FILE = `${MANIFESTS}/platform/platform.yaml`;

const RESOURCES_FINALIZER = 'resources-finalizer.argocd.argoproj.io';
/** Objects of a preview hostname (components/canary-route-edge/preview.yaml). */
export const PREVIEW_LABEL = 'config.pr-canary.dev/route';
export const isPreview = (object: K8sObject) =>
  (at(object, 'metadata', 'labels') as Record<string, string> | undefined)?.[PREVIEW_LABEL] === 'preview';
const ROUTE_KINDS = new Set(['IngressRoute', 'GRPCRoute']);

export const canaryKeyValue: Rule = {
  id: 'canary-key-value',
  description:
    "for PR N, every route rendered for it matches the header X-Canary (x-canary in gRPC) with value N, never N as a header name, and sends to PR N's namespace",
  remediation: '',
  legacy: (scene) =>
    scene.canary.flatMap((app) => {
      const pr = String(app.pullRequest);
      return app.objects.flatMap((item) => {
        const out: Finding[] = [];
        const wrong = (path: string, message: string) =>
          out.push(
            finding(
              'canary-key-value',
              item,
              path,
              message,
              `match header ${CANARY_HEADER} with value ${pr} and send to ${app.destinationNamespace}`,
            ),
          );
        // Preview hostnames are keyed by their host (rule preview-hostname), not a header.
        if (item.object.kind === 'IngressRoute' && !isPreview(item.object)) {
          traefikRoutes(item.object).forEach((route, i) => {
            const headers = headerMatchers(route.match);
            if (headers.some((h) => h.name === pr))
              wrong(`spec.routes[${i}].match`, `"${route.match}" uses the PR number ${pr} as a header name`);
            const keys = headers.filter((h) => h.name.toLowerCase() === CANARY_HEADER);
            if (keys.length !== 1 || keys[0]?.value !== pr)
              wrong(
                `spec.routes[${i}].match`,
                `"${route.match}" must match Header(\`X-Canary\`, \`${pr}\`) exactly once for PR ${pr}`,
              );
            (route.services ?? []).forEach((s, j) => {
              if (s.namespace !== app.destinationNamespace)
                wrong(
                  `spec.routes[${i}].services[${j}].namespace`,
                  `sends PR ${pr}'s requests to ${s.namespace ?? '(route namespace)'}`,
                );
            });
          });
        }
        if (item.object.kind === 'GRPCRoute') {
          asArray(at(item.object, 'spec', 'rules')).forEach((rule, r) => {
            const matches = asArray(at(rule, 'matches'));
            if (matches.length === 0) return; // the catch-all to stable
            matches.forEach((match, m) => {
              const headers = asArray(at(match, 'headers')) as Array<{ name?: string; value?: string }>;
              const path = `spec.rules[${r}].matches[${m}].headers`;
              if (headers.some((h) => h.name === pr))
                wrong(path, `uses the PR number ${pr} as a metadata key`);
              const keys = headers.filter((h) => (h.name ?? '').toLowerCase() === CANARY_METADATA_KEY);
              if (keys.length !== 1 || keys[0]?.value !== pr)
                wrong(path, `must match ${CANARY_METADATA_KEY}: ${pr} exactly once for PR ${pr}`);
            });
            asArray(at(rule, 'backendRefs')).forEach((ref, b) => {
              if (at(ref, 'namespace') !== app.destinationNamespace)
                wrong(
                  `spec.rules[${r}].backendRefs[${b}].namespace`,
                  `sends PR ${pr}'s calls to ${String(at(ref, 'namespace'))}`,
                );
            });
          });
        }
        return out;
      });
    }),
};

const syncOptions = (app: RenderedApplication) =>
  asArray(at(app.application, 'spec', 'syncPolicy', 'syncOptions'));

export const prNamespaceManaged: Rule = {
  id: 'pr-namespace-managed',
  description:
    'a PR Application renders its Namespace (first sync wave, never CreateNamespace=true); it and its workload carry the resources finalizer and prune',
  remediation: '',
  legacy: (scene) =>
    scene.canary.flatMap((app) => {
      const out: Finding[] = [];
      const ns = app.objects.find(
        ({ object }) => object.kind === 'Namespace' && object.metadata.name === app.destinationNamespace,
      );
      if (ns === undefined)
        out.push(
          finding(
            'pr-namespace-managed',
            appItem(app),
            'spec.destination.namespace',
            `Namespace ${app.destinationNamespace} is not rendered: it would not be deleted when the PR closes`,
            'render the Namespace in manifests-microservices/canary (sync wave -2)',
          ),
        );
      else if (
        !app.objects.every(({ object }) => object === ns.object || syncWave(object) > syncWave(ns.object))
      )
        out.push(
          finding(
            'pr-namespace-managed',
            ns,
            'metadata.annotations',
            'the Namespace must be in an earlier sync wave than everything else',
            'set argocd.argoproj.io/sync-wave: "-2"',
          ),
        );
      for (const a of [app, ...app.children]) {
        if (syncOptions(a).includes('CreateNamespace=true'))
          out.push(
            finding(
              'pr-namespace-managed',
              appItem(a),
              'spec.syncPolicy.syncOptions',
              'CreateNamespace=true: Argo CD never deletes a namespace it created this way',
              'remove it; the Namespace is a rendered object of the PR Application',
            ),
          );
        if (!(a.application.metadata.finalizers ?? []).includes(RESOURCES_FINALIZER))
          out.push(
            finding(
              'pr-namespace-managed',
              appItem(a),
              'metadata.finalizers',
              `missing finalizer ${RESOURCES_FINALIZER}: deleting the Application would leave its objects`,
              `add ${RESOURCES_FINALIZER}`,
            ),
          );
        if (at(a.application, 'spec', 'syncPolicy', 'automated', 'prune') !== true)
          out.push(
            finding(
              'pr-namespace-managed',
              appItem(a),
              'spec.syncPolicy.automated.prune',
              'prune is not true: removed objects would stay',
              'set prune: true',
            ),
          );
      }
      return out;
    }),
};

/** The AppProject an Application uses, wherever it is rendered. */
export function projectOf(scene: Scene, app: RenderedApplication): RenderedObject | undefined {
  const name = at(app.application, 'spec', 'project');
  return allObjects(scene).find(
    ({ object }) => object.kind === 'AppProject' && object.metadata.name === name,
  );
}

export const prHeadConfined: Rule = {
  id: 'pr-head-confined',
  description:
    "what a PR's head revision renders stays in that PR's own namespace, and its AppProject allows nothing else",
  remediation: '',
  legacy: (scene) =>
    allApplications(scene)
      .filter((a) => a.fromPullRequestHead)
      .flatMap((app) => {
        const out: Finding[] = [];
        const parent = scene.canary.find((p) => p.children.includes(app));
        const own = parent?.destinationNamespace;
        if (own !== undefined && app.destinationNamespace !== own)
          out.push(
            finding(
              'pr-head-confined',
              appItem(app),
              'spec.destination.namespace',
              `deploys to ${app.destinationNamespace}, not its PR's ${own}`,
              `set it to ${own}`,
            ),
          );
        for (const item of app.objects) {
          if (
            isClusterScoped(item.object.kind) ||
            item.object.metadata.namespace !== app.destinationNamespace
          )
            out.push(
              finding(
                'pr-head-confined',
                item,
                'metadata.namespace',
                `the PR's own manifests put ${item.object.kind} ${item.object.metadata.name} ${isClusterScoped(item.object.kind) ? 'at cluster scope' : `in ${item.object.metadata.namespace}`}: unreviewed code must not write outside ${app.destinationNamespace}`,
                'render it from the default branch (manifests-microservices/canary), or drop it',
              ),
            );
        }
        const project = projectOf(scene, app);
        if (project === undefined) {
          out.push(
            finding(
              'pr-head-confined',
              appItem(app),
              'spec.project',
              `AppProject ${String(at(app.application, 'spec', 'project'))} is not rendered`,
              "render the PR's AppProject with the canary",
            ),
          );
          return out;
        }
        const destinations = asArray(at(project.object, 'spec', 'destinations')).map((d) =>
          String(at(d, 'namespace')),
        );
        if (destinations.length !== 1 || destinations[0] !== app.destinationNamespace)
          out.push(
            finding(
              'pr-head-confined',
              project,
              'spec.destinations',
              `allows ${destinations.join(', ') || 'nothing'}: a PR's project must allow exactly its own namespace ${app.destinationNamespace}`,
              `set destinations to [${app.destinationNamespace}]`,
            ),
          );
        if (asArray(at(project.object, 'spec', 'clusterResourceWhitelist')).length > 0)
          out.push(
            finding(
              'pr-head-confined',
              project,
              'spec.clusterResourceWhitelist',
              "a PR's project allows cluster-scoped kinds",
              'set clusterResourceWhitelist: []',
            ),
          );
        const kinds = at(project.object, 'spec', 'namespaceResourceWhitelist');
        if (kinds === undefined || kinds === null)
          out.push(
            finding(
              'pr-head-confined',
              project,
              'spec.namespaceResourceWhitelist',
              'absent: Argo CD then lets the PR create every namespaced kind (Roles, Secrets, routes)',
              'list the workload kinds only',
            ),
          );
        for (const [i, entry] of asArray(kinds).entries())
          if (at(entry, 'kind') === '*' || at(entry, 'group') === '*')
            out.push(
              finding(
                'pr-head-confined',
                project,
                `spec.namespaceResourceWhitelist[${i}]`,
                'a wildcard kind lets the PR create anything (Roles, Secrets, routes)',
                'list the workload kinds only',
              ),
            );
        return out;
      }),
};

/** Namespaces shared by every PR and by stable. */
const SHARED_NAMESPACES = new Set(['apps', 'argocd', 'monitoring']);

export const routesFromDefaultBranch: Rule = {
  id: 'routes-from-default-branch',
  description:
    'objects in shared namespaces (routes in apps, Applications and projects in argocd) and cluster-scoped ones come only from the default branch, and that branch exists in the repository verified',
  remediation: '',
  legacy: (scene) => {
    const out: Finding[] = [];
    const ref = scene.context.defaultBranchRef;
    // Once, with the scene that renders PRs (every environment reads the same setting).
    if (ref.state === 'missing' && scene.pullRequests.length > 0)
      out.push(
        finding(
          'routes-from-default-branch',
          {
            object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'platform' } },
            file: PLATFORM_FILE,
          },
          'data.default-branch',
          `branch ${scene.context.defaultBranch} does not exist in this repository (looked for ${ref.looked.join(', ')}): Argo CD would find no revision to sync stable and the PR Applications from`,
          "set default-branch to the repository's default branch (or fetch it: git fetch origin <branch>)",
        ),
      );
    for (const app of scene.canary)
      if (app.revision !== scene.context.defaultBranch)
        out.push(
          finding(
            'routes-from-default-branch',
            appItem(app),
            'spec.source.targetRevision',
            `the PR Application renders from ${app.revision}, not the default branch ${scene.context.defaultBranch}: the PR's own files would decide its routes and namespace`,
            `set targetRevision to ${scene.context.defaultBranch}; only the workload Application reads the PR head`,
          ),
        );
    for (const app of allApplications(scene).filter((a) => a.fromPullRequestHead))
      for (const item of app.objects)
        if (isClusterScoped(item.object.kind) || SHARED_NAMESPACES.has(item.object.metadata.namespace ?? ''))
          out.push(
            finding(
              'routes-from-default-branch',
              item,
              'metadata.namespace',
              `${item.object.kind} ${item.object.metadata.name} comes from a PR's head (${app.application.metadata.name})`,
              'render it from the default branch',
            ),
          );
    return out;
  },
};

export const routesAfterWorkload: Rule = {
  id: 'routes-after-workload',
  description:
    'a PR canary syncs namespace and prerequisites, then its workload, then its route; deletion runs in reverse (Linkerd does not fall back)',
  remediation: '',
  legacy: (scene) =>
    scene.canary.flatMap((app) => {
      const workloads = app.objects.filter(({ object }) => object.kind === 'Application');
      if (workloads.length === 0)
        return [
          finding(
            'routes-after-workload',
            appItem(app),
            '',
            'renders no workload Application',
            'include workload.yaml (manifests-microservices/canary)',
          ),
        ];
      const wave = Math.max(...workloads.map(({ object }) => syncWave(object)));
      return app.objects.flatMap((item) => {
        const w = syncWave(item.object);
        if (ROUTE_KINDS.has(item.object.kind) && w <= wave)
          return [
            finding(
              'routes-after-workload',
              item,
              'metadata.annotations',
              `sync wave ${w} is not after the workload's ${wave}: the route would exist while the canary is missing or not ready`,
              `set argocd.argoproj.io/sync-wave: "${wave + 1}"`,
            ),
          ];
        if (!ROUTE_KINDS.has(item.object.kind) && item.object.kind !== 'Application' && w >= wave)
          return [
            finding(
              'routes-after-workload',
              item,
              'metadata.annotations',
              `sync wave ${w} is not before the workload's ${wave}: the workload would start without it`,
              `set argocd.argoproj.io/sync-wave: "${wave - 1}"`,
            ),
          ];
        return [];
      });
    }),
};

/** A container's environment: its own env, and the ConfigMaps it reads with envFrom. */
function environmentOf(scene: Scene, deployment: RenderedObject, container: Record<string, unknown>) {
  const env = new Map<string, string>();
  const missing: string[] = [];
  for (const from of asArray(container.envFrom)) {
    const name = at(from, 'configMapRef', 'name');
    if (typeof name !== 'string') continue;
    const cm = allObjects(scene).find(
      ({ object }) =>
        object.kind === 'ConfigMap' &&
        object.metadata.name === name &&
        object.metadata.namespace === deployment.object.metadata.namespace,
    );
    if (cm === undefined) {
      if (at(from, 'configMapRef', 'optional') !== true) missing.push(name);
      continue;
    }
    for (const [k, v] of Object.entries((at(cm.object, 'data') ?? {}) as Record<string, string>))
      env.set(k, v);
  }
  for (const e of asArray(container.env)) {
    const value = at(e, 'value');
    if (typeof value === 'string') env.set(String(at(e, 'name')), value);
  }
  return { env, missing };
}

export const environmentTrack: Rule = {
  id: 'environment-track',
  description:
    "each service's pods get DEPLOYMENT_TRACK stable (or pr-<N> for PR N) and the table of their environment or PR, from ConfigMaps that are rendered",
  remediation: '',
  legacy: (scene) => {
    const out: Finding[] = [];
    const byName = new Map(scene.context.catalogue.map((e) => [e.name, e]));
    for (const app of allApplications(scene)) {
      for (const item of app.objects.filter(({ object }) => object.kind === 'Deployment')) {
        const entry = byName.get(item.object.metadata.name);
        const container = containers(item.object).find((c) => c.name === item.object.metadata.name);
        if (entry === undefined || container === undefined) continue;
        const { env, missing } = environmentOf(scene, item, container);
        const fix = (what: string) => `render ${what} in the ConfigMap ${entry.name}-env`;
        for (const name of missing)
          out.push(
            finding(
              'environment-track',
              item,
              'spec.template.spec.containers[0].envFrom',
              `ConfigMap ${name} is not rendered in ${item.object.metadata.namespace}: the pods would not start`,
              `render ConfigMap ${name} (stable: kustomize/${entry.name}/stable; PR: manifests-microservices/canary)`,
            ),
          );
        const track = app.pullRequest === undefined ? STABLE_TRACK : canaryTrack(app.pullRequest);
        if (env.get('DEPLOYMENT_TRACK') !== track)
          out.push(
            finding(
              'environment-track',
              item,
              'spec.template.spec.containers[0].env',
              `DEPLOYMENT_TRACK is ${env.get('DEPLOYMENT_TRACK') ?? 'unset'}, not ${track}: X-Served-By, logs and metrics would name the wrong track`,
              fix(`DEPLOYMENT_TRACK: ${track}`),
            ),
          );
        if (entry.data !== null) {
          const table = env.get('TABLE_NAME');
          const parent = scene.canary.find((p) => p.children.includes(app));
          const isolated = parent?.objects.find(({ object }) => object.kind === 'Table');
          const want =
            isolated !== undefined
              ? String(at(isolated.object, 'spec', 'tableName'))
              : `${entry.data.table}-${scene.name}`;
          if (table !== want)
            out.push(
              finding(
                'environment-track',
                item,
                'spec.template.spec.containers[0].env',
                `TABLE_NAME is ${table ?? 'unset'}, not ${want}${isolated !== undefined ? " (the PR's own table)" : ` (${scene.name}'s table)`}`,
                fix(`TABLE_NAME: ${want}`),
              ),
            );
        }
      }
    }
    return out;
  },
};

export const isolatedTable: Rule = {
  id: 'isolated-table',
  description:
    "a PR's own DynamoDB table (ACK Table) is named <table>-pr-<N> and deleted with it: removing the PR never touches a shared table",
  remediation: '',
  legacy: (scene) =>
    scene.canary.flatMap((app) =>
      app.objects
        .filter(({ object }) => object.kind === 'Table')
        .flatMap((item) => {
          const service = scene.context.catalogue.find((e) =>
            app.objects.some(
              ({ object }) => object.kind === 'ServiceAccount' && object.metadata.name === e.name,
            ),
          );
          const want =
            service?.data === null || service === undefined
              ? undefined
              : `${service.data.table}-pr-${app.pullRequest}`;
          const out: Finding[] = [];
          const name = at(item.object, 'spec', 'tableName');
          if (want === undefined || name !== want)
            out.push(
              finding(
                'isolated-table',
                item,
                'spec.tableName',
                `table ${String(name)} is not ${want ?? 'a per-PR table of a service with data'}: closing the PR deletes it`,
                `name it ${want ?? '<table>-pr-<N>'}`,
              ),
            );
          if (item.object.metadata.annotations?.['services.k8s.aws/deletion-policy'] === 'retain')
            out.push(
              finding(
                'isolated-table',
                item,
                'metadata.annotations',
                "deletion-policy retain: the PR's table would outlive the PR",
                'set services.k8s.aws/deletion-policy: delete',
              ),
            );
          return out;
        }),
    ),
};

export type { K8sObject };

const PREVIEW_HOST = /^pr-([0-9]+)\.(.+)$/;

export const previewHostname: Rule = {
  id: 'preview-hostname',
  description:
    "a preview hostname pr-<N>.<api host> is rendered only for PR N, on the internal entrypoint with canary-guard, sets X-Canary: N and sends to PR N's namespace",
  remediation: '',
  legacy: (scene) => {
    const out: Finding[] = [];
    // No route outside a PR's own Application may answer a preview hostname.
    for (const app of allApplications(scene)) {
      if (app.pullRequest !== undefined) continue;
      for (const item of app.objects) {
        if (item.object.kind !== 'IngressRoute') continue;
        traefikRoutes(item.object).forEach((route, i) => {
          if (PREVIEW_HOST.test(hostOf(route.match) ?? ''))
            out.push(
              finding(
                'preview-hostname',
                item,
                `spec.routes[${i}].match`,
                `"${route.match}" claims a PR's preview hostname outside that PR's Application`,
                'preview hostnames come only from components/canary-route-edge/preview.yaml',
              ),
            );
        });
      }
    }
    for (const app of scene.canary) {
      const pr = String(app.pullRequest);
      const keyRoute = app.objects
        .filter((o) => o.object.kind === 'IngressRoute' && !isPreview(o.object))
        .flatMap((o) => traefikRoutes(o.object))[0];
      const apiHost = keyRoute === undefined ? undefined : hostOf(keyRoute.match);
      for (const item of app.objects) {
        if (item.object.kind !== 'IngressRoute') continue;
        traefikRoutes(item.object).forEach((route, i) => {
          const host = hostOf(route.match) ?? '';
          const claimed = PREVIEW_HOST.exec(host);
          if (claimed === null && !isPreview(item.object)) return;
          const wrong = (path: string, message: string, fix: string) =>
            out.push(finding('preview-hostname', item, path, message, fix));
          const want = `pr-${pr}.${apiHost ?? '<api host>'}`;
          if (route.match !== `Host(\`${want}\`)`)
            wrong(
              `spec.routes[${i}].match`,
              `PR ${pr}'s preview route matches "${route.match}"${claimed !== null && claimed[1] !== pr ? `: that is PR ${claimed[1]}'s hostname` : ''}`,
              `match exactly Host(\`${want}\`)`,
            );
          const eps = asArray(at(item.object, 'spec', 'entryPoints'));
          if (eps.length !== 1 || eps[0] !== 'internal')
            wrong(
              'spec.entryPoints',
              `PR ${pr}'s preview route is on ${eps.join(', ') || 'every entrypoint'}`,
              'entryPoints: [internal]',
            );
          const middlewares = (route.middlewares ?? []).map((ref) => middlewareOf(scene, ref, item.object));
          if (!middlewares.some((mw) => at(mw, 'spec', 'ipAllowList') !== undefined))
            wrong(
              `spec.routes[${i}].middlewares`,
              `PR ${pr}'s preview route is not guarded`,
              'add middleware canary-guard',
            );
          const sets = middlewares
            .map(
              (mw) =>
                at(mw, 'spec', 'headers', 'customRequestHeaders') as Record<string, unknown> | undefined,
            )
            .flatMap((headers) =>
              Object.entries(headers ?? {}).filter(([name]) => name.toLowerCase() === CANARY_HEADER),
            );
          if (sets.length !== 1 || String(sets[0]?.[1]) !== pr)
            wrong(
              `spec.routes[${i}].middlewares`,
              `PR ${pr}'s preview route must set ${CANARY_HEADER}: ${pr} exactly once (it sets ${sets.map(([, v]) => String(v)).join(', ') || 'nothing'})`,
              `a Middleware with customRequestHeaders X-Canary: "${pr}"`,
            );
          (route.services ?? []).forEach((svc, j) => {
            if (svc.namespace !== app.destinationNamespace)
              wrong(
                `spec.routes[${i}].services[${j}].namespace`,
                `PR ${pr}'s preview hostname sends to ${svc.namespace ?? '(route namespace)'}`,
                `send to ${app.destinationNamespace}`,
              );
          });
        });
      }
    }
    return out;
  },
};

/** The image tag of `[name=]registry/image:tag[@digest]`. */
const tagOf = (image: string) => /:([^/:@=]+)(@.*)?$/.exec(image)?.[1];

export const workloadAtPrHead: Rule = {
  id: 'workload-at-pr-head',
  description:
    "a PR canary's workload Application reads exactly the PR's head commit (the generator's head_sha, 40 characters), and its images are tagged pr-<N>-<head_short_sha> (8 characters)",
  remediation: '',
  legacy: (scene) =>
    scene.canary.flatMap((app) => {
      const pr = scene.pullRequests.find((p) => p.number === app.pullRequest);
      if (pr === undefined) return [];
      const out: Finding[] = [];
      const tag = `pr-${pr.number}-${pr.headSha.slice(0, 8)}`;
      const workloads = app.children.filter((c) => c.application.kind === 'Application');
      for (const workload of workloads) {
        if (workload.revision !== pr.headSha)
          out.push(
            finding(
              'workload-at-pr-head',
              appItem(workload),
              'spec.source.targetRevision',
              `${workload.revision} is not PR ${pr.number}'s head ${pr.headSha}: Argo CD would deploy ${/^[0-9a-f]{40}$/.test(workload.revision) ? 'another commit' : `whatever ${workload.revision} points at`}, not the commit the PR's checks and images were built from`,
              "copy the generator's head_sha into the workload's targetRevision (CanaryParams spec.revision, manifests-microservices/canary)",
            ),
          );
        asArray(at(workload.application, 'spec', 'source', 'kustomize', 'images')).forEach((image, i) => {
          if (tagOf(String(image)) !== tag)
            out.push(
              finding(
                'workload-at-pr-head',
                appItem(workload),
                `spec.source.kustomize.images[${i}]`,
                `${String(image)} is not tagged ${tag} (the image CI builds for PR ${pr.number}'s head)`,
                'tag with pr-{{ .number }}-{{ .head_short_sha }} (8 characters)',
              ),
            );
        });
        for (const item of workload.objects.filter(({ object }) => object.kind === 'Deployment'))
          asArray(at(item.object, 'spec', 'template', 'spec', 'containers')).forEach((c, i) => {
            const image = String(at(c, 'image') ?? '');
            if (tagOf(image) !== tag)
              out.push(
                finding(
                  'workload-at-pr-head',
                  item,
                  `spec.template.spec.containers[${i}].image`,
                  `${image} is not tagged ${tag}: the canary would not run PR ${pr.number}'s head`,
                  'tag with pr-{{ .number }}-{{ .head_short_sha }} (8 characters)',
                ),
              );
          });
      }
      return out;
    }),
};
