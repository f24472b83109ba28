import {
  CANARY_HEADER,
  CANARY_METADATA_KEY,
  canaryImageTag,
  canaryTrack,
  previewHost,
  previewPr,
  STABLE_TRACK,
} from 'canary-context';
import { GUARDED_ENTRYPOINT } from 'routing-model/traefik';
import { isolatedTable as prTable } from 'service-catalogue';
import type { RenderedApplication } from '../argo.ts';
import { asArray, at, isClusterScoped, type K8sObject, type RenderedObject, syncWave } from '../objects.ts';
import { MANIFESTS } from '../render.ts';
import { allObjects, containers, headerMatchers, hostOf, middlewareOf, traefikRoutes } from './scene.ts';
import {
  type ApplicationRule,
  appItem,
  type ObjectRule,
  type Problem,
  perKind,
  type Scene,
} from './types.ts';

/** The platform settings file (the default branch, the registry …). */
export const PLATFORM_FILE = `${MANIFESTS}/platform/platform.yaml`;

const RESOURCES_FINALIZER = 'resources-finalizer.argocd.argoproj.io';
/** The PR label that gives a canary a table of its own (applications/canary/pr-canaries.yaml). */
const ISOLATED_DATA_LABEL = 'canary:isolated-data';
/** Objects of a preview hostname (components/canary-route-edge/preview.yaml). */
export const PREVIEW_LABEL = 'config.pr-canary.dev/route';
export const isPreview = (object: K8sObject) =>
  (at(object, 'metadata', 'labels') as Record<string, string> | undefined)?.[PREVIEW_LABEL] === 'preview';
const ROUTE_KINDS = new Set(['IngressRoute', 'GRPCRoute']);

/** PR N's key and namespace, for a route its PR Application renders (undefined for any other route). */
function prKey(scene: Scene, app: RenderedApplication | undefined) {
  if (app === undefined || !scene.canary.includes(app)) return undefined;
  const pr = String(app.pullRequest);
  const ns = app.destinationNamespace;
  const fix = `match header ${CANARY_HEADER} with value ${pr} and send to ${ns}`;
  return { pr, ns, wrong: (path: string, message: string): Problem => ({ path, message, fix }) };
}

function* keyedIngressRoute(
  item: RenderedObject,
  scene: Scene,
  app?: RenderedApplication,
): Generator<Problem> {
  const key = prKey(scene, app);
  // Preview hostnames are keyed by their host (rule preview-hostname), not a header.
  if (key === undefined || isPreview(item.object)) return;
  const { pr, ns, wrong } = key;
  for (const [i, route] of traefikRoutes(item.object).entries()) {
    const headers = headerMatchers(route.match);
    if (headers.some((h) => h.name === pr))
      yield wrong(`spec.routes[${i}].match`, `"${route.match}" uses the PR number ${pr} as a header name`);
    const keys = headers.filter((h) => h.name.toLowerCase() === CANARY_HEADER);
    if (keys.length !== 1 || keys[0]?.value !== pr)
      yield wrong(
        `spec.routes[${i}].match`,
        `"${route.match}" must match Header(\`X-Canary\`, \`${pr}\`) exactly once for PR ${pr}`,
      );
    for (const [j, s] of (route.services ?? []).entries())
      if (s.namespace !== ns)
        yield wrong(
          `spec.routes[${i}].services[${j}].namespace`,
          `sends PR ${pr}'s requests to ${s.namespace ?? '(route namespace)'}`,
        );
  }
}

function* keyedGrpcRoute(item: RenderedObject, scene: Scene, app?: RenderedApplication): Generator<Problem> {
  const key = prKey(scene, app);
  if (key === undefined) return;
  const { pr, ns, wrong } = key;
  for (const [r, rule] of asArray(at(item.object, 'spec', 'rules')).entries()) {
    const matches = asArray(at(rule, 'matches'));
    if (matches.length === 0) continue; // the catch-all to stable
    for (const [m, match] of matches.entries()) {
      const headers = asArray(at(match, 'headers')) as Array<{ name?: string; value?: string }>;
      const path = `spec.rules[${r}].matches[${m}].headers`;
      if (headers.some((h) => h.name === pr)) yield wrong(path, `uses the PR number ${pr} as a metadata key`);
      const keys = headers.filter((h) => (h.name ?? '').toLowerCase() === CANARY_METADATA_KEY);
      if (keys.length !== 1 || keys[0]?.value !== pr)
        yield wrong(path, `must match ${CANARY_METADATA_KEY}: ${pr} exactly once for PR ${pr}`);
    }
    for (const [b, ref] of asArray(at(rule, 'backendRefs')).entries())
      if (at(ref, 'namespace') !== ns)
        yield wrong(
          `spec.rules[${r}].backendRefs[${b}].namespace`,
          `sends PR ${pr}'s calls to ${String(at(ref, 'namespace'))}`,
        );
  }
}

export const canaryKeyValue: ObjectRule = {
  id: 'canary-key-value',
  description:
    "for PR N, every route rendered for it matches the header X-Canary (x-canary in gRPC) with value N, never N as a header name, and sends to PR N's namespace",
  remediation: 'correct the rule composed in applications/canary/pr-canaries.yaml',
  ...perKind({ IngressRoute: keyedIngressRoute, GRPCRoute: keyedGrpcRoute }),
};

const syncOptions = (app: RenderedApplication) =>
  asArray(at(app.application, 'spec', 'syncPolicy', 'syncOptions'));

export const prNamespaceManaged: ApplicationRule = {
  id: 'pr-namespace-managed',
  description:
    'a PR Application renders its Namespace (first sync wave, never CreateNamespace=true); it and its workload carry the resources finalizer and prune',
  remediation: 'render the Namespace in manifests-microservices/canary (sync wave -2)',
  applications: 'pr',
  reads: ['Namespace'],
  *check(app) {
    const ns = app.objects.find(
      ({ object }) => object.kind === 'Namespace' && object.metadata.name === app.destinationNamespace,
    );
    if (ns === undefined)
      yield {
        path: 'spec.destination.namespace',
        message: `Namespace ${app.destinationNamespace} is not rendered: it would not be deleted when the PR closes`,
      };
    else if (
      !app.objects.every(({ object }) => object === ns.object || syncWave(object) > syncWave(ns.object))
    )
      yield {
        on: ns,
        path: 'metadata.annotations',
        message: 'the Namespace must be in an earlier sync wave than everything else',
        fix: 'set argocd.argoproj.io/sync-wave: "-2"',
      };
    for (const a of [app, ...app.children]) {
      const on = appItem(a);
      if (syncOptions(a).includes('CreateNamespace=true'))
        yield {
          on,
          path: 'spec.syncPolicy.syncOptions',
          message: 'CreateNamespace=true: Argo CD never deletes a namespace it created this way',
          fix: 'remove it; the Namespace is a rendered object of the PR Application',
        };
      if (!(a.application.metadata.finalizers ?? []).includes(RESOURCES_FINALIZER))
        yield {
          on,
          path: 'metadata.finalizers',
          message: `missing finalizer ${RESOURCES_FINALIZER}: deleting the Application would leave its objects`,
          fix: `add ${RESOURCES_FINALIZER}`,
        };
      if (at(a.application, 'spec', 'syncPolicy', 'automated', 'prune') !== true)
        yield {
          on,
          path: 'spec.syncPolicy.automated.prune',
          message: 'prune is not true: removed objects would stay',
          fix: 'set prune: true',
        };
    }
  },
};

/** The AppProject an Application uses, wherever it is rendered. */
export function projectOf(scene: Scene, app: RenderedApplication): RenderedObject | undefined {
  const name = at(app.application, 'spec', 'project');
  return allObjects(scene).find(
    ({ object }) => object.kind === 'AppProject' && object.metadata.name === name,
  );
}

export const prHeadConfined: ApplicationRule = {
  id: 'pr-head-confined',
  description:
    "what a PR's head revision renders stays in that PR's own namespace, and its AppProject allows nothing else",
  remediation:
    "keep the PR's manifests to kustomize/<service>/pr, and the PR's AppProject to its one namespace",
  applications: 'pr-head',
  reads: ['*'],
  *check(app, scene) {
    const own = scene.canary.find((p) => p.children.includes(app))?.destinationNamespace;
    if (own !== undefined && app.destinationNamespace !== own)
      yield {
        path: 'spec.destination.namespace',
        message: `deploys to ${app.destinationNamespace}, not its PR's ${own}`,
        fix: `set it to ${own}`,
      };
    for (const item of app.objects)
      if (isClusterScoped(item.object.kind) || item.object.metadata.namespace !== app.destinationNamespace)
        yield {
          on: item,
          path: 'metadata.namespace',
          message: `the PR's own manifests put ${item.object.kind} ${item.object.metadata.name} ${isClusterScoped(item.object.kind) ? 'at cluster scope' : `in ${item.object.metadata.namespace}`}: unreviewed code must not write outside ${app.destinationNamespace}`,
          fix: 'render it from the default branch (manifests-microservices/canary), or drop it',
        };
    const project = projectOf(scene, app);
    if (project === undefined) {
      yield {
        path: 'spec.project',
        message: `AppProject ${String(at(app.application, 'spec', 'project'))} is not rendered`,
        fix: "render the PR's AppProject with the canary",
      };
      return;
    }
    const destinations = asArray(at(project.object, 'spec', 'destinations')).map((d) =>
      String(at(d, 'namespace')),
    );
    if (destinations.length !== 1 || destinations[0] !== app.destinationNamespace)
      yield {
        on: project,
        path: 'spec.destinations',
        message: `allows ${destinations.join(', ') || 'nothing'}: a PR's project must allow exactly its own namespace ${app.destinationNamespace}`,
        fix: `set destinations to [${app.destinationNamespace}]`,
      };
    if (asArray(at(project.object, 'spec', 'clusterResourceWhitelist')).length > 0)
      yield {
        on: project,
        path: 'spec.clusterResourceWhitelist',
        message: "a PR's project allows cluster-scoped kinds",
        fix: 'set clusterResourceWhitelist: []',
      };
    const kinds = at(project.object, 'spec', 'namespaceResourceWhitelist');
    if (kinds === undefined || kinds === null)
      yield {
        on: project,
        path: 'spec.namespaceResourceWhitelist',
        message: 'absent: Argo CD then lets the PR create every namespaced kind (Roles, Secrets, routes)',
        fix: 'list the workload kinds only',
      };
    for (const [i, entry] of asArray(kinds).entries())
      if (at(entry, 'kind') === '*' || at(entry, 'group') === '*')
        yield {
          on: project,
          path: `spec.namespaceResourceWhitelist[${i}]`,
          message: 'a wildcard kind lets the PR create anything (Roles, Secrets, routes)',
          fix: 'list the workload kinds only',
        };
  },
};

/** Namespaces shared by every PR and by stable. */
const SHARED_NAMESPACES = new Set(['apps', 'argocd', 'monitoring']);

export const routesFromDefaultBranch: ApplicationRule = {
  id: 'routes-from-default-branch',
  description:
    "objects in shared namespaces (routes in apps, Applications and projects in argocd) and cluster-scoped ones come only from the default branch, and that branch exists in the repository verified (as refs/heads/<branch> or refs/remotes/<remote>/<branch>; in GitHub Actions the PR's base branch GITHUB_BASE_REF counts; a tree that is not a git checkout is not checked, and verify says so)",
  remediation:
    'PR Applications read the default branch, only the workload Application reads the head; set default-branch to a branch of the repository (or fetch it)',
  applications: 'all',
  reads: ['*'],
  *check(app, scene) {
    const { defaultBranch } = scene.context;
    if (scene.canary.includes(app) && app.revision !== defaultBranch)
      yield {
        path: 'spec.source.targetRevision',
        message: `the PR Application renders from ${app.revision}, not the default branch ${defaultBranch}: the PR's own files would decide its routes and namespace`,
        fix: `set targetRevision to ${defaultBranch}; only the workload Application reads the PR head`,
      };
    if (app.fromPullRequestHead)
      for (const item of app.objects)
        if (isClusterScoped(item.object.kind) || SHARED_NAMESPACES.has(item.object.metadata.namespace ?? ''))
          yield {
            on: item,
            path: 'metadata.namespace',
            message: `${item.object.kind} ${item.object.metadata.name} comes from a PR's head (${app.application.metadata.name})`,
            fix: 'render it from the default branch',
          };
  },
  *acrossScene(scene) {
    const ref = scene.context.defaultBranchRef;
    // Once, with the scene that renders PRs (every environment reads the same setting).
    if (ref.state === 'missing' && scene.pullRequests.length > 0)
      yield {
        on: {
          object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'platform' } },
          file: PLATFORM_FILE,
        },
        path: 'data.default-branch',
        message: `branch ${scene.context.defaultBranch} does not exist in this repository (looked for ${ref.looked.join(', ')}): Argo CD would find no revision to sync stable and the PR Applications from`,
        fix: "set default-branch to the repository's default branch (or fetch it: git fetch origin <branch>)",
      };
  },
};

export const routesAfterWorkload: ApplicationRule = {
  id: 'routes-after-workload',
  description:
    'a PR canary syncs namespace and prerequisites, then its workload, then its route; deletion runs in reverse (Linkerd does not fall back)',
  remediation: 'sync waves -2 / -1 / 0 / 1 as in manifests-microservices/canary',
  applications: 'pr',
  reads: ['*'],
  *check(app) {
    const workloads = app.objects.filter(({ object }) => object.kind === 'Application');
    if (workloads.length === 0) {
      yield {
        path: '',
        message: 'renders no workload Application',
        fix: 'include workload.yaml (manifests-microservices/canary)',
      };
      return;
    }
    const wave = Math.max(...workloads.map(({ object }) => syncWave(object)));
    for (const item of app.objects) {
      const w = syncWave(item.object);
      if (ROUTE_KINDS.has(item.object.kind) && w <= wave)
        yield {
          on: item,
          path: 'metadata.annotations',
          message: `sync wave ${w} is not after the workload's ${wave}: the route would exist while the canary is missing or not ready`,
          fix: `set argocd.argoproj.io/sync-wave: "${wave + 1}"`,
        };
      else if (!ROUTE_KINDS.has(item.object.kind) && item.object.kind !== 'Application' && w >= wave)
        yield {
          on: item,
          path: 'metadata.annotations',
          message: `sync wave ${w} is not before the workload's ${wave}: the workload would start without it`,
          fix: `set argocd.argoproj.io/sync-wave: "${wave - 1}"`,
        };
    }
  },
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

export const environmentTrack: ObjectRule = {
  id: 'environment-track',
  description:
    "each service's pods get DEPLOYMENT_TRACK stable (or pr-<N> for PR N) and the table of their environment or PR, from ConfigMaps that are rendered",
  remediation:
    'the <service>-env ConfigMap: stable in kustomize/<service>/stable, canaries in manifests-microservices/canary',
  kinds: ['Deployment'],
  *check(item, scene, app) {
    const entry = scene.context.catalogue.find((e) => e.name === item.object.metadata.name);
    const container = containers(item.object).find((c) => c.name === item.object.metadata.name);
    if (app === undefined || entry === undefined || container === undefined) return;
    const { env, missing } = environmentOf(scene, item, container);
    const fix = (what: string) => `render ${what} in the ConfigMap ${entry.name}-env`;
    for (const name of missing)
      yield {
        path: 'spec.template.spec.containers[0].envFrom',
        message: `ConfigMap ${name} is not rendered in ${item.object.metadata.namespace}: the pods would not start`,
        fix: `render ConfigMap ${name} (stable: kustomize/${entry.name}/stable; PR: manifests-microservices/canary)`,
      };
    const track = app.pullRequest === undefined ? STABLE_TRACK : canaryTrack(app.pullRequest);
    if (env.get('DEPLOYMENT_TRACK') !== track)
      yield {
        path: 'spec.template.spec.containers[0].env',
        message: `DEPLOYMENT_TRACK is ${env.get('DEPLOYMENT_TRACK') ?? 'unset'}, not ${track}: X-Served-By, logs and metrics would name the wrong track`,
        fix: fix(`DEPLOYMENT_TRACK: ${track}`),
      };
    if (entry.data === null) return;
    const table = env.get('TABLE_NAME');
    const parent = scene.canary.find((p) => p.children.includes(app));
    const isolated = parent?.objects.find(({ object }) => object.kind === 'Table');
    // On DynamoDB Local the store creates an isolated PR's table itself (no Table object).
    const labelled =
      app.pullRequest !== undefined &&
      scene.pullRequests.some((p) => p.number === app.pullRequest && p.labels.includes(ISOLATED_DATA_LABEL));
    const want =
      isolated !== undefined
        ? String(at(isolated.object, 'spec', 'tableName'))
        : labelled && app.pullRequest !== undefined
          ? prTable(entry.data.table, app.pullRequest)
          : `${entry.data.table}-${scene.name}`;
    if (table !== want)
      yield {
        path: 'spec.template.spec.containers[0].env',
        message: `TABLE_NAME is ${table ?? 'unset'}, not ${want}${isolated !== undefined || labelled ? " (the PR's own table)" : ` (${scene.name}'s table)`}`,
        fix: fix(`TABLE_NAME: ${want}`),
      };
  },
};

export const isolatedTable: ObjectRule = {
  id: 'isolated-table',
  description:
    "a PR's own DynamoDB table (ACK Table) is named <table>-pr-<N> and deleted with it: removing the PR never touches a shared table",
  remediation: 'keep the name from CanaryParams.table, deletion policy delete',
  kinds: ['Table'],
  *check(item, scene, app) {
    if (app === undefined || !scene.canary.includes(app)) return;
    // The PR Application's service: the one whose ServiceAccount it renders.
    const service = scene.context.catalogue.find((e) =>
      app.objects.some(({ object }) => object.kind === 'ServiceAccount' && object.metadata.name === e.name),
    );
    const want =
      service === undefined || service.data === null || app.pullRequest === undefined
        ? undefined
        : prTable(service.data.table, app.pullRequest);
    const name = at(item.object, 'spec', 'tableName');
    if (want === undefined || name !== want)
      yield {
        path: 'spec.tableName',
        message: `table ${String(name)} is not ${want ?? 'a per-PR table of a service with data'}: closing the PR deletes it`,
        fix: `name it ${want ?? '<table>-pr-<N>'}`,
      };
    if (item.object.metadata.annotations?.['services.k8s.aws/deletion-policy'] === 'retain')
      yield {
        path: 'metadata.annotations',
        message: "deletion-policy retain: the PR's table would outlive the PR",
        fix: 'set services.k8s.aws/deletion-policy: delete',
      };
  },
};

export type { K8sObject };

/** A route outside a PR's own Application may not answer a preview hostname. */
function* previewClaims(item: RenderedObject): Generator<Problem> {
  for (const [i, route] of traefikRoutes(item.object).entries())
    if (previewPr(hostOf(route.match) ?? '') !== undefined)
      yield {
        path: `spec.routes[${i}].match`,
        message: `"${route.match}" claims a PR's preview hostname outside that PR's Application`,
      };
}

/** Where stable services live. */
const STABLE_NAMESPACE = 'apps';

/** The API host: the host of the stable edge's guarded (internal) routes. */
function stableEdgeHost(scene: Scene): string | undefined {
  for (const { object } of allObjects(scene)) {
    if (object.kind !== 'IngressRoute' || object.metadata.namespace !== STABLE_NAMESPACE || isPreview(object))
      continue;
    const eps = asArray(at(object, 'spec', 'entryPoints'));
    if (eps.length !== 1 || eps[0] !== GUARDED_ENTRYPOINT) continue;
    const route = traefikRoutes(object)[0];
    const host = route === undefined ? undefined : hostOf(route.match);
    if (
      host !== undefined &&
      previewPr(host) === undefined &&
      headerMatchers(route?.match ?? '').length === 0
    )
      return host;
  }
  return undefined;
}

/**
 * A PR Application's preview route: PR N's hostname, guarded, keyed N, to PR N's namespace
 * (or, for a PR Application of a mesh service, to the stable edge service).
 */
function* previewRoute(item: RenderedObject, app: RenderedApplication, scene: Scene): Generator<Problem> {
  const pr = String(app.pullRequest);
  const keyRoute = app.objects
    .filter((o) => o.object.kind === 'IngressRoute' && !isPreview(o.object))
    .flatMap((o) => traefikRoutes(o.object))[0];
  // A PR Application of a mesh service has no key route: its preview hostname is on the
  // stable edge's host (components/canary-route-mesh/preview.yaml).
  const apiHost = keyRoute === undefined ? stableEdgeHost(scene) : hostOf(keyRoute.match);
  // Where a preview may send: PR N's namespace or, for a PR without an edge canary of its
  // own here, a stable edge service of the catalogue in apps.
  const edgeServices = new Set(
    scene.context.catalogue.filter((e) => e.exposure === 'edge').map((e) => `${STABLE_NAMESPACE}/${e.name}`),
  );
  const allowed = (svc: { namespace?: string; name?: string }) =>
    svc.namespace === app.destinationNamespace ||
    (keyRoute === undefined && edgeServices.has(`${svc.namespace ?? ''}/${svc.name ?? ''}`));
  for (const [i, route] of traefikRoutes(item.object).entries()) {
    const claimed = previewPr(hostOf(route.match) ?? '');
    if (claimed === undefined && !isPreview(item.object)) continue;
    const want = previewHost(pr, apiHost ?? '<api host>');
    if (route.match !== `Host(\`${want}\`)`)
      yield {
        path: `spec.routes[${i}].match`,
        message: `PR ${pr}'s preview route matches "${route.match}"${claimed !== undefined && claimed !== pr ? `: that is PR ${claimed}'s hostname` : ''}`,
        fix: `match exactly Host(\`${want}\`)`,
      };
    const eps = asArray(at(item.object, 'spec', 'entryPoints'));
    if (eps.length !== 1 || eps[0] !== GUARDED_ENTRYPOINT)
      yield {
        path: 'spec.entryPoints',
        message: `PR ${pr}'s preview route is on ${eps.join(', ') || 'every entrypoint'}`,
        fix: `entryPoints: [${GUARDED_ENTRYPOINT}]`,
      };
    const middlewares = (route.middlewares ?? []).map((ref) => middlewareOf(scene, ref, item.object));
    if (!middlewares.some((mw) => at(mw, 'spec', 'ipAllowList') !== undefined))
      yield {
        path: `spec.routes[${i}].middlewares`,
        message: `PR ${pr}'s preview route is not guarded`,
        fix: 'add middleware canary-guard',
      };
    const sets = middlewares
      .map((mw) => at(mw, 'spec', 'headers', 'customRequestHeaders') as Record<string, unknown> | undefined)
      .flatMap((headers) =>
        Object.entries(headers ?? {}).filter(([name]) => name.toLowerCase() === CANARY_HEADER),
      );
    if (sets.length !== 1 || String(sets[0]?.[1]) !== pr)
      yield {
        path: `spec.routes[${i}].middlewares`,
        message: `PR ${pr}'s preview route must set ${CANARY_HEADER}: ${pr} exactly once (it sets ${sets.map(([, v]) => String(v)).join(', ') || 'nothing'})`,
        fix: `a Middleware with customRequestHeaders X-Canary: "${pr}"`,
      };
    for (const [j, svc] of (route.services ?? []).entries())
      if (!allowed(svc))
        yield {
          path: `spec.routes[${i}].services[${j}].namespace`,
          message: `PR ${pr}'s preview hostname sends to ${svc.namespace ?? '(route namespace)'}/${svc.name ?? ''}`,
          fix:
            keyRoute === undefined
              ? `send to a stable edge service in ${STABLE_NAMESPACE} (platform setting preview-service)`
              : `send to ${app.destinationNamespace}`,
        };
  }
}

export const previewHostname: ObjectRule = {
  id: 'preview-hostname',
  description:
    "a preview hostname pr-<N>.<api host> is rendered only for PR N, on the internal entrypoint with canary-guard, sets X-Canary: N and sends to PR N's namespace (a mesh service's PR: to the stable edge service in apps)",
  remediation:
    'preview hostnames come only from components/canary-route-edge|mesh/preview.yaml (previewMatch / previewKey in pr-canaries.yaml)',
  kinds: ['IngressRoute'],
  check: (item, scene, app) =>
    app === undefined
      ? []
      : app.pullRequest === undefined
        ? previewClaims(item)
        : scene.canary.includes(app)
          ? previewRoute(item, app, scene)
          : [],
};

/** The image tag of `[name=]registry/image:tag[@digest]`. */
const tagOf = (image: string) => /:([^/:@=]+)(@.*)?$/.exec(image)?.[1];

export const workloadAtPrHead: ApplicationRule = {
  id: 'workload-at-pr-head',
  description:
    "a PR canary's workload Application reads exactly the PR's head commit (the generator's head_sha, 40 characters), and its images are tagged pr-<N>-<head_short_sha> (8 characters)",
  remediation:
    'keep revision: "{{ .head_sha }}" and the spec.revision replacement in manifests-microservices/canary; tag images pr-{{ .number }}-{{ .head_short_sha }} (8 characters)',
  applications: 'pr',
  reads: ['Application', 'Deployment'],
  *check(app, scene) {
    const pr = scene.pullRequests.find((p) => p.number === app.pullRequest);
    if (pr === undefined) return;
    const tag = canaryImageTag(pr.number, pr.headSha);
    const retag = 'tag with pr-{{ .number }}-{{ .head_short_sha }} (8 characters)';
    for (const workload of app.children.filter((c) => c.application.kind === 'Application')) {
      const on = appItem(workload);
      if (workload.revision !== pr.headSha)
        yield {
          on,
          path: 'spec.source.targetRevision',
          message: `${workload.revision} is not PR ${pr.number}'s head ${pr.headSha}: Argo CD would deploy ${/^[0-9a-f]{40}$/.test(workload.revision) ? 'another commit' : `whatever ${workload.revision} points at`}, not the commit the PR's checks and images were built from`,
          fix: "copy the generator's head_sha into the workload's targetRevision (CanaryParams spec.revision, manifests-microservices/canary)",
        };
      for (const [i, image] of asArray(
        at(workload.application, 'spec', 'source', 'kustomize', 'images'),
      ).entries())
        if (tagOf(String(image)) !== tag)
          yield {
            on,
            path: `spec.source.kustomize.images[${i}]`,
            message: `${String(image)} is not tagged ${tag} (the image CI builds for PR ${pr.number}'s head)`,
            fix: retag,
          };
      for (const item of workload.objects.filter(({ object }) => object.kind === 'Deployment'))
        for (const [i, c] of asArray(at(item.object, 'spec', 'template', 'spec', 'containers')).entries()) {
          const image = String(at(c, 'image') ?? '');
          if (tagOf(image) !== tag)
            yield {
              on: item,
              path: `spec.template.spec.containers[${i}].image`,
              message: `${image} is not tagged ${tag}: the canary would not run PR ${pr.number}'s head`,
              fix: retag,
            };
        }
    }
  },
};
