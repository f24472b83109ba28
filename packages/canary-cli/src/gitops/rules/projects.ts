import { asArray, at, globMatch, groupOf, isClusterScoped, type K8sObject } from '../objects.ts';
import { projectOf } from './canary.ts';
import { allApplications, allObjects, ofKind } from './scene.ts';
import { appItem, type Finding, finding, type Rule } from './types.ts';

interface GroupKind {
  readonly group?: unknown;
  readonly kind?: unknown;
  readonly name?: unknown;
}

const matchesEntry = (entry: GroupKind, group: string, kind: string, name?: string) =>
  globMatch(String(entry.group ?? ''), group) &&
  globMatch(String(entry.kind ?? ''), kind) &&
  (entry.name === undefined || name === undefined || globMatch(String(entry.name), name));

const list = (project: K8sObject, field: string) => asArray(at(project, 'spec', field)) as GroupKind[];

/** What Argo CD's project check would say about an object (undefined: permitted). */
function refusal(project: K8sObject, object: K8sObject): string | undefined {
  const group = groupOf(object.apiVersion);
  const kind = object.kind;
  const name = object.metadata.name;
  const what = `${group === '' ? 'core' : group}/${kind}`;
  if (isClusterScoped(kind)) {
    const allowed = list(project, 'clusterResourceWhitelist').some((e) => matchesEntry(e, group, kind, name));
    if (!allowed) return `cluster-scoped ${what} ${name} is not in clusterResourceWhitelist`;
    if (list(project, 'clusterResourceBlacklist').some((e) => matchesEntry(e, group, kind, name)))
      return `cluster-scoped ${what} ${name} is in clusterResourceBlacklist`;
    return undefined;
  }
  const namespace = object.metadata.namespace ?? '';
  const destinations = asArray(at(project, 'spec', 'destinations'));
  if (!destinations.some((d) => globMatch(String(at(d, 'namespace') ?? ''), namespace)))
    return `namespace ${namespace} is not a destination of the project`;
  const whitelist = list(project, 'namespaceResourceWhitelist');
  // Argo CD: an empty namespaced whitelist allows every namespaced kind.
  if (whitelist.length > 0 && !whitelist.some((e) => matchesEntry(e, group, kind)))
    return `${what} is not in namespaceResourceWhitelist`;
  if (list(project, 'namespaceResourceBlacklist').some((e) => matchesEntry(e, group, kind)))
    return `${what} is in namespaceResourceBlacklist`;
  return undefined;
}

export const projectPermits: Rule = {
  name: 'project-permits',
  description:
    'every object an Application renders, and every namespace it creates, is permitted by its AppProject (Argo CD refuses the sync otherwise)',
  check: (scene) =>
    allApplications(scene).flatMap((app) => {
      const project = projectOf(scene, app);
      const projectName = String(at(app.application, 'spec', 'project'));
      if (project === undefined)
        return [
          finding(
            'project-permits',
            appItem(app),
            'spec.project',
            `AppProject ${projectName} is not rendered in ${scene.name}`,
            `render AppProject ${projectName} (applications/ or manifests-microservices/canary)`,
          ),
        ];
      const out: Finding[] = [];
      const repo = String(at(app.application, 'spec', 'source', 'repoURL'));
      if (!asArray(at(project.object, 'spec', 'sourceRepos')).some((r) => globMatch(String(r), repo)))
        out.push(
          finding(
            'project-permits',
            appItem(app),
            'spec.source.repoURL',
            `${repo} is not a sourceRepo of AppProject ${projectName}`,
            'use the platform repository (platform setting repo-url)',
          ),
        );
      const destination = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: '-', namespace: app.destinationNamespace },
      };
      const destWhy = refusal(project.object, destination);
      if (destWhy?.startsWith('namespace'))
        out.push(
          finding(
            'project-permits',
            appItem(app),
            'spec.destination.namespace',
            `destination ${destWhy}`,
            `deploy into a destination of AppProject ${projectName}`,
          ),
        );
      if (
        asArray(at(app.application, 'spec', 'syncPolicy', 'syncOptions')).includes('CreateNamespace=true')
      ) {
        const why = refusal(project.object, {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: app.destinationNamespace },
        });
        if (why !== undefined)
          out.push(
            finding(
              'project-permits',
              appItem(app),
              'spec.syncPolicy.syncOptions',
              `CreateNamespace=true makes Namespace ${app.destinationNamespace}, but ${why} of AppProject ${projectName}: "resource :Namespace is not permitted"`,
              'render the Namespace from an Application whose project allows it, and drop CreateNamespace',
            ),
          );
      }
      for (const item of app.objects) {
        const why = refusal(project.object, item.object);
        if (why !== undefined)
          out.push(
            finding(
              'project-permits',
              item,
              isClusterScoped(item.object.kind) ? 'kind' : 'metadata.namespace',
              `${why} of AppProject ${projectName} (Application ${app.application.metadata.name})`,
              `allow it in AppProject ${projectName}, or render it from an Application whose project does`,
            ),
          );
      }
      return out;
    }),
};

export const appProjectClusterKinds: Rule = {
  name: 'appproject-cluster-kinds',
  description:
    'AppProjects allow no cluster-scoped kind except Namespace (scoped by name), never Secrets, RBAC or wildcard kinds',
  check: (scene) =>
    ofKind(allObjects(scene), 'AppProject').flatMap((item) => {
      const out: Finding[] = [];
      list(item.object, 'clusterResourceWhitelist').forEach((entry, i) => {
        const path = `spec.clusterResourceWhitelist[${i}]`;
        if (!(entry.group === '' && entry.kind === 'Namespace'))
          out.push(
            finding(
              'appproject-cluster-kinds',
              item,
              path,
              `cluster-scoped ${String(entry.group)}/${String(entry.kind)} allowed`,
              'allow only Namespace',
            ),
          );
        else if (entry.name === undefined || entry.name === '*')
          out.push(
            finding(
              'appproject-cluster-kinds',
              item,
              path,
              'any Namespace may be created (and deleted with the Application)',
              'scope it by name, e.g. name: "*-canary-pr-*" (Argo CD >= 3.3)',
            ),
          );
      });
      list(item.object, 'namespaceResourceWhitelist').forEach((entry, i) => {
        if (entry.kind === 'Secret' || entry.kind === '*' || entry.group === 'rbac.authorization.k8s.io')
          out.push(
            finding(
              'appproject-cluster-kinds',
              item,
              `spec.namespaceResourceWhitelist[${i}]`,
              `namespaced ${String(entry.group)}/${String(entry.kind)} allowed: secrets never come from git, and no Application grants itself rights`,
              'remove the entry',
            ),
          );
      });
      return out;
    }),
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

export const applicationSetTemplate: Rule = {
  name: 'applicationset-template',
  description:
    'ApplicationSets use goTemplate with missingkey=error and a fixed project; PR generators filter by label, poll within 120 s and authenticate',
  check: (scene) =>
    ofKind(scene.argo, 'ApplicationSet').flatMap((item) => {
      const set = item.object;
      const out: Finding[] = [];
      const add = (path: string, message: string, fix: string) =>
        out.push(finding('applicationset-template', item, path, message, fix));
      if (at(set, 'spec', 'goTemplate') !== true)
        add(
          'spec.goTemplate',
          'not true: the fasttemplate engine renders a missing parameter as empty',
          'set goTemplate: true',
        );
      if (!asArray(at(set, 'spec', 'goTemplateOptions')).includes('missingkey=error'))
        add(
          'spec.goTemplateOptions',
          'lacks missingkey=error: a typo in a parameter renders as "<no value>"',
          'add missingkey=error',
        );
      if (String(at(set, 'spec', 'template', 'spec', 'project') ?? '').includes('{{'))
        add(
          'spec.template.spec.project',
          'the project is templated: generator data (a PR, a file) would choose its own permissions',
          'name the project literally',
        );
      for (const { spec, path } of pullRequestGenerators(set)) {
        const requeue = at(spec, 'requeueAfterSeconds');
        if (typeof requeue !== 'number' || requeue > 120)
          add(
            `${path}.requeueAfterSeconds`,
            `${String(requeue)} (Argo CD's default is 1800): a PR would wait up to 30 minutes without the webhook`,
            'set 60 and expose the ApplicationSet webhook',
          );
        if (asArray(at(spec, 'github', 'labels')).length === 0)
          add(
            `${path}.github.labels`,
            'no label filter: every PR, forks included, would deploy',
            'filter by the catalogue label: "{{ .label }}"',
          );
        if (at(spec, 'github', 'tokenRef') === undefined)
          add(
            `${path}.github.tokenRef`,
            'unauthenticated GitHub calls are rate-limited hard',
            'reference the github-token secret',
          );
      }
      if (
        pullRequestGenerators(set).length > 0 &&
        /head_(short_)?sha/.test(String(at(set, 'spec', 'template', 'spec', 'source', 'targetRevision')))
      )
        add(
          'spec.template.spec.source.targetRevision',
          "PR Applications render from the PR's head: the PR's files would decide its routes",
          'render from the default branch; the workload Application reads the head',
        );
      return out;
    }),
};

export const noSecretsInGit: Rule = {
  name: 'no-secrets-in-git',
  description: 'no Secret objects in the manifests',
  check: (scene) =>
    ofKind(allObjects(scene), 'Secret').map((item) =>
      finding(
        'no-secrets-in-git',
        item,
        '',
        'a Secret in git',
        'create it in the cluster, or with an ExternalSecret (components/registry-auth/external-secrets shows how)',
      ),
    ),
};
