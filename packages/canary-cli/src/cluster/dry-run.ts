import { randomBytes } from 'node:crypto';
import { flattenApplications } from '../gitops/argo.ts';
import { at, isClusterScoped, type K8sObject, type RenderedObject } from '../gitops/objects.ts';
import type { Finding, Scene } from '../gitops/rules/types.ts';
import { syncWaves } from './argo-order.ts';
import type { KubeApi } from './kube-api.ts';
import { referencesOf, resolves, unresolved } from './references.ts';
import { CLUSTER_RULES, clusterFinding, refusal } from './sync.ts';

export interface DryRunReport {
  readonly findings: Finding[];
  /** Namespaces the render creates that the cluster does not have yet. */
  readonly wouldCreate: string[];
  /** Of those, the ones whose contents were dry-run in a throwaway namespace. */
  readonly throwaway: Array<{ readonly namespace: string; readonly as: string }>;
  /** Objects not checked (their namespace does not exist and throwaway namespaces were not allowed). */
  readonly unchecked: number;
  readonly checked: number;
}

/**
 * Kinds that start nothing: inside a throwaway namespace they are created for real, so the
 * pods dry-run after them meet the same ServiceAccounts, LimitRanges and quotas as in the
 * cluster Argo CD syncs. Everything else is only ever dry-run.
 */
const INERT = new Set(['ServiceAccount', 'ConfigMap', 'LimitRange', 'ResourceQuota', 'Role', 'RoleBinding']);

const key = (o: { apiVersion: string; kind: string; name: string; namespace?: string | undefined }) =>
  `${o.apiVersion.split('/').length > 1 ? o.apiVersion.split('/')[0] : ''}|${o.kind}|${o.namespace ?? ''}|${o.name}`;

/** An object in another namespace (a throwaway one), without the fields the server owns. */
function moved(object: K8sObject, namespace: string): K8sObject {
  return { ...object, metadata: { ...object.metadata, namespace } };
}

/** A Pod as the ReplicaSet controller would create it from a Deployment's template. */
function podOf(deployment: K8sObject, namespace: string): K8sObject {
  const template = at(deployment, 'spec', 'template') as {
    metadata?: Record<string, unknown>;
    spec?: unknown;
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${deployment.metadata.name}-verify`,
      namespace,
      labels: (template.metadata?.labels as Record<string, string> | undefined) ?? {},
      annotations: (template.metadata?.annotations as Record<string, string> | undefined) ?? {},
    },
    spec: template.spec,
  };
}

/**
 * Server-side dry run of one environment against a user's cluster: every object is sent
 * with `dryRun=All` (validation, CRD schemas, admission webhooks and policies of that
 * cluster run; nothing is stored), and a Pod built from each Deployment's template is
 * dry-run created so Pod Security, LimitRange, quota and ServiceAccount admission speak.
 * Namespaces the render would create are reported; with `throwaway`, their contents are
 * dry-run inside a temporary namespace carrying the same labels, deleted afterwards.
 */
export async function dryRunScene(
  api: KubeApi,
  scene: Scene,
  options: { readonly throwaway: boolean; readonly progress: (line: string) => void },
): Promise<DryRunReport> {
  const findings: Finding[] = [];
  const apps = flattenApplications([...scene.stable, ...scene.canary]);
  const ordered: RenderedObject[] = [
    ...scene.argo,
    ...apps
      .map((a) => ({ object: a.application, file: a.file }))
      .filter((a) => a.object.metadata.namespace !== undefined),
    ...apps.flatMap((app) => syncWaves(app).flatMap((w) => w.objects)),
  ];
  const unique = new Map<string, RenderedObject>();
  for (const item of ordered) {
    const o = item.object;
    unique.set(
      key({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, namespace: o.metadata.namespace }),
      item,
    );
  }
  const items = [...unique.values()];
  const rendered = new Set(unique.keys());

  const namespaces = new Set(
    items.map((i) => i.object.metadata.namespace).filter((n): n is string => n !== undefined),
  );
  const renderedNamespaces = new Map(
    items.filter((i) => i.object.kind === 'Namespace').map((i) => [i.object.metadata.name, i.object]),
  );
  for (const n of renderedNamespaces.keys()) namespaces.add(n);
  const wouldCreate: string[] = [];
  for (const ns of [...namespaces].sort()) {
    if ((await api.get('v1', 'Namespace', ns)) === undefined) wouldCreate.push(ns);
  }
  const throwaway = new Map<string, string>();
  if (options.throwaway) {
    for (const ns of wouldCreate) {
      const as = `canary-verify-${randomBytes(4).toString('hex')}`;
      const labels: Record<string, string> = {
        ...(renderedNamespaces.get(ns)?.metadata.labels ?? {}),
        'canary.verify/throwaway-for': ns,
      };
      delete labels['kubernetes.io/metadata.name'];
      await api.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: as, labels } });
      throwaway.set(ns, as);
      options.progress(
        `namespace ${ns} does not exist (Argo CD would create it): dry-running its contents in throwaway namespace ${as}`,
      );
    }
  }

  let checked = 0;
  let unchecked = 0;
  try {
    for (const item of items) {
      const o = item.object;
      const ns = o.metadata.namespace;
      const missing = ns !== undefined && wouldCreate.includes(ns);
      if (o.kind === 'Namespace' && wouldCreate.includes(o.metadata.name)) {
        // The Namespace itself: dry-run its creation as rendered.
      } else if (missing && !throwaway.has(ns)) {
        unchecked += 1;
        continue;
      }
      const target = missing ? moved(o, throwaway.get(ns as string) as string) : o;
      try {
        await api.apply(target, { dryRun: !(missing && INERT.has(o.kind)) });
        checked += 1;
      } catch (err) {
        findings.push(refusal(item, err));
        continue;
      }
      if (o.kind === 'Deployment' && !isClusterScoped(o.kind)) {
        const pod = podOf(o, target.metadata.namespace ?? 'default');
        const path = `/api/v1/namespaces/${encodeURIComponent(pod.metadata.namespace ?? 'default')}/pods?dryRun=All`;
        const { status, json } = await api.request('POST', path, pod);
        const message = String(json.message ?? `HTTP ${status}`);
        // In a namespace that exists, a ServiceAccount the render brings is not there yet
        // (dry runs store nothing): that refusal says nothing about the sync.
        const account = /serviceaccount "([^"]+)" not found/.exec(message)?.[1];
        const pending =
          account !== undefined &&
          !missing &&
          rendered.has(key({ apiVersion: 'v1', kind: 'ServiceAccount', name: account, namespace: ns }));
        if (status >= 300 && !pending)
          findings.push(
            clusterFinding(
              CLUSTER_RULES.pods,
              item,
              `its pods cannot be created: ${message}`,
              "make the pod template pass the namespace's admission (Pod Security, LimitRange, ResourceQuota, ServiceAccount)",
            ),
          );
      }
    }
    for (const item of items)
      for (const ref of referencesOf(item))
        if (!rendered.has(key(ref)) && !(await resolves(api, ref)))
          findings.push(
            unresolved(
              item,
              ref,
              'neither the render nor the cluster has',
              'fix the name or namespace, or create the object it names',
            ),
          );
  } finally {
    for (const as of throwaway.values())
      await api
        .delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: as } })
        .catch(() => undefined);
  }
  return {
    findings,
    wouldCreate,
    throwaway: [...throwaway].map(([namespace, as]) => ({ namespace, as })),
    unchecked,
    checked,
  };
}
