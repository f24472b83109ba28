import { argoGlobMatch, filepathPatternError, globPatternError, resourceMatch } from '../glob.ts';
import { asArray, at, groupOf, isClusterScoped, type K8sObject } from '../objects.ts';
import { projectOf } from './canary.ts';
import { allObjects, ofKind } from './scene.ts';
import type { ApplicationRule, ObjectRule, Problem } from './types.ts';

interface GroupKind {
  readonly group?: unknown;
  readonly kind?: unknown;
  readonly name?: unknown;
}

/** Argo CD's isResourceInList / isNamedResourceInList: filepath.Match; a cluster entry's `name: ""` (or none) means all. */
const matchesEntry = (entry: GroupKind, group: string, kind: string, name?: string) =>
  resourceMatch(String(entry.kind ?? ''), kind) &&
  resourceMatch(String(entry.group ?? ''), group) &&
  (name === undefined ||
    entry.name === undefined ||
    entry.name === '' ||
    resourceMatch(String(entry.name), name));

const RESOURCE_LISTS = [
  'clusterResourceWhitelist',
  'clusterResourceBlacklist',
  'namespaceResourceWhitelist',
  'namespaceResourceBlacklist',
] as const;

/** A resource list as Argo CD reads it: undefined when absent (nil), else its entries (`[]` is empty, not nil). */
const list = (project: K8sObject, field: string): GroupKind[] | undefined => {
  const value = at(project, 'spec', field);
  return value === undefined || value === null ? undefined : (asArray(value) as GroupKind[]);
};
const entries = (project: K8sObject, field: string) => list(project, field) ?? [];

/**
 * Argo CD's IsGroupKindNamePermitted: a namespaced kind passes an absent whitelist (nil
 * allows all) but not an empty one (`[]` allows none); a cluster-scoped kind needs a
 * matching entry (absent and empty both allow none). Blacklists block what they match.
 */
export function kindPermitted(
  project: K8sObject,
  group: string,
  kind: string,
  name: string,
): string | undefined {
  const what = `${group === '' ? 'core' : group}/${kind}`;
  if (isClusterScoped(kind)) {
    const whitelist = list(project, 'clusterResourceWhitelist');
    if (!(whitelist ?? []).some((e) => matchesEntry(e, group, kind, name)))
      return `cluster-scoped ${what} ${name} is not in clusterResourceWhitelist${whitelist === undefined ? ' (absent: no cluster-scoped kind is allowed)' : whitelist.length === 0 ? ' ([] allows none)' : ''}`;
    if (entries(project, 'clusterResourceBlacklist').some((e) => matchesEntry(e, group, kind, name)))
      return `cluster-scoped ${what} ${name} is in clusterResourceBlacklist`;
    return undefined;
  }
  const whitelist = list(project, 'namespaceResourceWhitelist');
  if (whitelist !== undefined && !whitelist.some((e) => matchesEntry(e, group, kind)))
    return `${what} is not in namespaceResourceWhitelist${whitelist.length === 0 ? ' ([] allows none; only an absent whitelist allows every kind)' : ''}`;
  if (entries(project, 'namespaceResourceBlacklist').some((e) => matchesEntry(e, group, kind)))
    return `${what} is in namespaceResourceBlacklist`;
  return undefined;
}

/** Where an Application deploys: Argo CD matches server or name, and namespace. */
interface Destination {
  readonly server: string;
  readonly name: string;
  readonly namespace: string;
}

const destinationOf = (app: K8sObject): Destination => ({
  server: String(at(app, 'spec', 'destination', 'server') ?? ''),
  name: String(at(app, 'spec', 'destination', 'name') ?? ''),
  namespace: String(at(app, 'spec', 'destination', 'namespace') ?? ''),
});

/** Argo CD's isDestinationMatched (gobwas globs, `!` denies). */
export function destinationPermitted(project: K8sObject, dst: Destination): boolean {
  let any = false;
  for (const item of asArray(at(project, 'spec', 'destinations'))) {
    const name = String(at(item, 'name') ?? '');
    const server = String(at(item, 'server') ?? '');
    const namespace = String(at(item, 'namespace') ?? '');
    const nameMatched = dst.name !== '' && argoGlobMatch(name, dst.name);
    const serverMatched = dst.server !== '' && argoGlobMatch(server, dst.server);
    const namespaceMatched = argoGlobMatch(namespace, dst.namespace);
    if ((serverMatched || nameMatched) && namespaceMatched) any = true;
    else if (
      (!nameMatched && name.startsWith('!')) ||
      (!serverMatched && server.startsWith('!') && namespaceMatched)
    )
      return false;
    else if (!namespaceMatched && namespace.startsWith('!') && serverMatched) return false;
  }
  return any;
}

/** Argo CD's IsSourcePermitted (gobwas globs with `/` as separator, `!` denies). */
export function sourcePermitted(project: K8sObject, repo: string): boolean {
  let any = false;
  for (const pattern of asArray(at(project, 'spec', 'sourceRepos')).map(String)) {
    const matched = argoGlobMatch(pattern, repo, ['/']);
    if (matched) any = true;
    else if (pattern.startsWith('!')) return false;
  }
  return any;
}

/** What Argo CD's project check would say about an object (undefined: permitted). */
function refusal(project: K8sObject, object: K8sObject, destination: Destination): string | undefined {
  const kindWhy = kindPermitted(project, groupOf(object.apiVersion), object.kind, object.metadata.name);
  if (kindWhy !== undefined) return kindWhy;
  if (isClusterScoped(object.kind)) return undefined;
  const namespace = object.metadata.namespace ?? '';
  if (!destinationPermitted(project, { ...destination, namespace }))
    return `namespace ${namespace} is not a destination of the project`;
  return undefined;
}

/** Patterns of an AppProject that Argo CD cannot compile: the entry matches nothing. */
function* malformedPatterns(project: K8sObject): Generator<Problem> {
  const bad = (path: string, pattern: string, error: string, syntax: string): Problem => ({
    path,
    message: `pattern ${JSON.stringify(pattern)} is malformed (${syntax}: ${error}): Argo CD matches nothing with it`,
    fix:
      syntax === 'filepath.Match'
        ? 'close the class and escape `-`, `]` or `\\` inside it (e.g. "[0-9]")'
        : 'use *, ?, a class of characters or one range ("[a-z]"), {a,b}',
  });
  for (const field of RESOURCE_LISTS)
    for (const [i, entry] of entries(project, field).entries())
      for (const key of ['group', 'kind', 'name'] as const) {
        const value = entry[key];
        if (typeof value !== 'string') continue;
        const error = filepathPatternError(value);
        if (error !== undefined) yield bad(`spec.${field}[${i}].${key}`, value, error, 'filepath.Match');
      }
  for (const [i, d] of asArray(at(project, 'spec', 'destinations')).entries())
    for (const key of ['server', 'name', 'namespace'] as const) {
      const value = at(d, key);
      if (typeof value !== 'string') continue;
      const pattern = value.startsWith('!') ? value.slice(1) : value;
      const error = value === '!*' ? "'!*' is refused by Argo CD" : globPatternError(pattern);
      if (error !== undefined) yield bad(`spec.destinations[${i}].${key}`, value, error, 'glob');
    }
  for (const [i, r] of asArray(at(project, 'spec', 'sourceRepos')).entries()) {
    const value = String(r);
    const pattern = value.startsWith('!') ? value.slice(1) : value;
    const error = value === '!*' ? "'!*' is refused by Argo CD" : globPatternError(pattern);
    if (error !== undefined) yield bad(`spec.sourceRepos[${i}]`, value, error, 'glob');
  }
}

export const projectPermits: ApplicationRule = {
  id: 'project-permits',
  description:
    'every object an Application renders, and every namespace it creates, is permitted by its AppProject as Argo CD decides it (an absent namespaced whitelist allows all, [] none; filepath.Match for kinds and names, globs for destinations and repositories); no pattern is malformed',
  remediation:
    'allow it in the AppProject, or render it from an Application whose project does; correct a malformed pattern',
  applications: 'all',
  reads: ['AppProject', '*'],
  *check(app, scene) {
    const project = projectOf(scene, app);
    const projectName = String(at(app.application, 'spec', 'project'));
    if (project === undefined) {
      yield {
        path: 'spec.project',
        message: `AppProject ${projectName} is not rendered in ${scene.name}`,
        fix: `render AppProject ${projectName} (applications/ or manifests-microservices/canary)`,
      };
      return;
    }
    const repo = String(at(app.application, 'spec', 'source', 'repoURL'));
    const destination = destinationOf(app.application);
    if (!sourcePermitted(project.object, repo))
      yield {
        path: 'spec.source.repoURL',
        message: `${repo} is not a sourceRepo of AppProject ${projectName}`,
        fix: 'use the platform repository (platform setting repo-url)',
      };
    if (!destinationPermitted(project.object, destination))
      yield {
        path: 'spec.destination.namespace',
        message: `destination ${destination.server || destination.name} namespace ${destination.namespace} is not a destination of the project`,
        fix: `deploy into a destination of AppProject ${projectName}`,
      };
    if (asArray(at(app.application, 'spec', 'syncPolicy', 'syncOptions')).includes('CreateNamespace=true')) {
      const why = refusal(
        project.object,
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: app.destinationNamespace } },
        destination,
      );
      if (why !== undefined)
        yield {
          path: 'spec.syncPolicy.syncOptions',
          message: `CreateNamespace=true makes Namespace ${app.destinationNamespace}, but ${why} of AppProject ${projectName}: "resource :Namespace is not permitted"`,
          fix: 'render the Namespace from an Application whose project allows it, and drop CreateNamespace',
        };
    }
    for (const item of app.objects) {
      const why = refusal(project.object, item.object, destination);
      if (why !== undefined)
        yield {
          on: item,
          path: isClusterScoped(item.object.kind) ? 'kind' : 'metadata.namespace',
          message: `${why} of AppProject ${projectName} (Application ${app.application.metadata.name})`,
          fix: `allow it in AppProject ${projectName}, or render it from an Application whose project does`,
        };
    }
  },
  // Malformed patterns are the project's own, whether an Application uses it or not.
  acrossScene: (scene) =>
    ofKind(allObjects(scene), 'AppProject').flatMap((item) =>
      [...malformedPatterns(item.object)].map((problem) => ({ ...problem, on: item })),
    ),
};

export const appProjectClusterKinds: ObjectRule = {
  id: 'appproject-cluster-kinds',
  description:
    'AppProjects allow no cluster-scoped kind except Namespace (scoped by name), never Secrets, RBAC or wildcard kinds; an absent namespaceResourceWhitelist allows every kind',
  remediation: 'allow only Namespace, scoped by name; list the namespaced kinds the project deploys',
  kinds: ['AppProject'],
  *check({ object: project }) {
    for (const [i, entry] of entries(project, 'clusterResourceWhitelist').entries()) {
      const path = `spec.clusterResourceWhitelist[${i}]`;
      if (!(entry.group === '' && entry.kind === 'Namespace'))
        yield {
          path,
          message: `cluster-scoped ${String(entry.group)}/${String(entry.kind)} allowed`,
          fix: 'allow only Namespace',
        };
      else if (entry.name === undefined || entry.name === '' || entry.name === '*')
        yield {
          path,
          message: 'any Namespace may be created (and deleted with the Application)',
          fix: 'scope it by name, e.g. name: "*-canary-pr-*" (Argo CD >= 3.3)',
        };
    }
    const whitelist = list(project, 'namespaceResourceWhitelist');
    if (whitelist === undefined)
      yield {
        path: 'spec.namespaceResourceWhitelist',
        message: 'absent: Argo CD then allows every namespaced kind, Secrets and RBAC included',
        fix: 'list the kinds the project deploys (an empty list allows none)',
      };
    for (const [i, entry] of (whitelist ?? []).entries()) {
      const group = String(entry.group ?? '');
      const kind = String(entry.kind ?? '');
      const secret = matchesEntry(entry, '', 'Secret');
      const rbac = resourceMatch(group, 'rbac.authorization.k8s.io');
      if (secret || rbac || kind === '*')
        yield {
          path: `spec.namespaceResourceWhitelist[${i}]`,
          message: `namespaced ${group}/${kind} allowed${secret ? ' (it matches core/Secret)' : rbac ? ' (it matches RBAC)' : ''}: secrets never come from git, and no Application grants itself rights`,
          fix: 'remove the entry',
        };
    }
  },
};

/** Every pullRequest generator spec of an ApplicationSet, with its path. */
function pullRequestGenerators(set: K8sObject) {
  const found: Array<{ spec: unknown; path: string }> = [];
  const walk = (generator: unknown, path: string) => {
    if (at(generator, 'pullRequest') !== undefined)
      found.push({ spec: at(generator, 'pullRequest'), path: `${path}.pullRequest` });
    for (const [i, g] of asArray(at(generator, 'matrix', 'generators')).entries())
      walk(g, `${path}.matrix.generators[${i}]`);
  };
  for (const [i, g] of asArray(at(set, 'spec', 'generators')).entries()) walk(g, `spec.generators[${i}]`);
  return found;
}

export const applicationSetTemplate: ObjectRule = {
  id: 'applicationset-template',
  description:
    'ApplicationSets use goTemplate with missingkey=error and a fixed project; PR generators filter by label, poll within 120 s and authenticate',
  remediation: 'see applications/canary/pr-canaries.yaml',
  kinds: ['ApplicationSet'],
  *check({ object: set }) {
    if (at(set, 'spec', 'goTemplate') !== true)
      yield {
        path: 'spec.goTemplate',
        message: 'not true: the fasttemplate engine renders a missing parameter as empty',
        fix: 'set goTemplate: true',
      };
    if (!asArray(at(set, 'spec', 'goTemplateOptions')).includes('missingkey=error'))
      yield {
        path: 'spec.goTemplateOptions',
        message: 'lacks missingkey=error: a typo in a parameter renders as "<no value>"',
        fix: 'add missingkey=error',
      };
    if (String(at(set, 'spec', 'template', 'spec', 'project') ?? '').includes('{{'))
      yield {
        path: 'spec.template.spec.project',
        message: 'the project is templated: generator data (a PR, a file) would choose its own permissions',
        fix: 'name the project literally',
      };
    for (const { spec, path } of pullRequestGenerators(set)) {
      const requeue = at(spec, 'requeueAfterSeconds');
      if (typeof requeue !== 'number' || requeue > 120)
        yield {
          path: `${path}.requeueAfterSeconds`,
          message: `${String(requeue)} (Argo CD's default is 1800): a PR would wait up to 30 minutes without the webhook`,
          fix: 'set 60 and expose the ApplicationSet webhook',
        };
      if (asArray(at(spec, 'github', 'labels')).length === 0)
        yield {
          path: `${path}.github.labels`,
          message: 'no label filter: every PR, forks included, would deploy',
          fix: 'filter by the catalogue label: "{{ .label }}"',
        };
      if (at(spec, 'github', 'tokenRef') === undefined)
        yield {
          path: `${path}.github.tokenRef`,
          message: 'unauthenticated GitHub calls are rate-limited hard',
          fix: 'reference the github-token secret',
        };
    }
    if (
      pullRequestGenerators(set).length > 0 &&
      /head_(short_)?sha/.test(String(at(set, 'spec', 'template', 'spec', 'source', 'targetRevision')))
    )
      yield {
        path: 'spec.template.spec.source.targetRevision',
        message: "PR Applications render from the PR's head: the PR's files would decide its routes",
        fix: 'render from the default branch; the workload Application reads the head',
      };
  },
};

export const noSecretsInGit: ObjectRule = {
  id: 'no-secrets-in-git',
  description: 'no Secret objects in the manifests',
  remediation:
    'create it in the cluster, or with an ExternalSecret (components/registry-auth/external-secrets shows how)',
  kinds: ['Secret'],
  check: () => [{ path: '', message: 'a Secret in git' }],
};
