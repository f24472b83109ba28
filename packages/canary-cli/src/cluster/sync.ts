import type { RenderedApplication } from '../gitops/argo.ts';
import { describe, type K8sObject, type RenderedObject } from '../gitops/objects.ts';
import type { Finding } from '../gitops/rules/types.ts';
import { childOf, syncWaves } from './argo-order.ts';
import { type KubeApi, KubeError } from './kube-api.ts';
import { waitFor } from './wait.ts';

/** Rule ids of the cluster layer (the static rules' findings keep theirs). */
export const CLUSTER_RULES = {
  apply: 'cluster-apply',
  pods: 'cluster-pods',
  rollout: 'cluster-rollout',
  reference: 'cluster-reference',
  prune: 'cluster-prune',
  applicationSet: 'cluster-applicationset',
  edge: 'cluster-edge',
  edgeRouter: 'cluster-edge-router',
} as const;

export const CLUSTER_RULE_DESCRIPTIONS: Readonly<
  Record<(typeof CLUSTER_RULES)[keyof typeof CLUSTER_RULES], string>
> = {
  'cluster-apply':
    'the API server (validation, CRD schemas, admission) accepts every object, applied as Argo CD would',
  'cluster-pods':
    "the controllers can create every Deployment's pods (Pod Security, LimitRange, quota, ServiceAccount) and what they mount exists",
  'cluster-rollout': 'no Deployment or ReplicaSet shows a failing condition',
  'cluster-reference':
    'every reference to another object (middleware, service, issuer, backend, scale target) resolves in the cluster',
  'cluster-prune': 'closing a PR removes everything it created, its namespaces included',
  'cluster-applicationset':
    "Argo CD's own ApplicationSet controller, fed realistic pull requests by a fake GitHub, generates exactly the Applications canary render does, and follows pushes and label changes",
  'cluster-edge':
    "the real Traefik, reading the applied IngressRoutes from the API server, sends X-Canary: N on the internal entrypoint and PR N's preview hostname to PR N's edge service (stable when the PR deploys none), and the public entrypoint to stable without the key",
  'cluster-edge-router':
    'Traefik loads every IngressRoute route as an enabled router and every middleware without error',
};

export const clusterFinding = (
  rule: string,
  item: RenderedObject,
  message: string,
  fix: string,
): Finding => ({ rule, file: item.file, object: describe(item.object), path: '', message, fix });

/** What applying refused, in words and with the fix a platform engineer would make. */
export function refusal(item: RenderedObject, err: unknown): Finding {
  const e = err instanceof KubeError ? err : undefined;
  const message =
    e === undefined
      ? (err as Error).message
      : `${e.reason === '' ? `HTTP ${e.status}` : e.reason}: ${e.message}`;
  const fix =
    e?.reason === 'NoKindMatch'
      ? 'use a kind and apiVersion the pinned CRDs serve (localdev/versions.env)'
      : e?.reason === 'Forbidden'
        ? "stay within the namespace's admission (quota, LimitRange, Pod Security, policies) or change the policy"
        : e?.reason === 'NotFound'
          ? 'create what it needs first (a lower sync wave) or fix the name'
          : 'change the object so the API server accepts it (the message names the field)';
  return clusterFinding(CLUSTER_RULES.apply, item, `the API server refused it: ${message}`, fix);
}

export interface SyncRecord {
  /** Every object applied (accepted), in order. */
  readonly applied: RenderedObject[];
  readonly findings: Finding[];
}

/**
 * Syncs an Application as Argo CD does: waves in ascending order, each wave in kind order;
 * an Application among its objects is created and then synced itself (its workload) before
 * the next wave, as the project's Application health check makes Argo CD wait for it.
 */
export async function syncApplication(
  api: KubeApi,
  app: RenderedApplication,
  record: SyncRecord,
  options: { dryRun?: boolean } = {},
): Promise<void> {
  for (const wave of syncWaves(app)) {
    for (const item of wave.objects) {
      try {
        await api.apply(item.object, options);
        record.applied.push(item);
      } catch (err) {
        record.findings.push(refusal(item, err));
        continue;
      }
      if (item.object.kind === 'Application') {
        const child = childOf(app, item);
        if (child !== undefined) await syncApplication(api, child, record, options);
      }
    }
  }
}

const key = (o: K8sObject) => `${o.apiVersion}|${o.kind}|${o.metadata.namespace ?? ''}|${o.metadata.name}`;

/**
 * Prunes an Application as Argo CD does when its PR closes (resources finalizer): waves in
 * descending order, each wave deleted and gone before the next; a child Application's own
 * resources first. Whatever is still there after `timeoutMs` is a finding.
 */
export async function pruneApplication(
  api: KubeApi,
  app: RenderedApplication,
  findings: Finding[],
  timeoutMs = 30_000,
): Promise<void> {
  for (const wave of syncWaves(app).reverse()) {
    for (const item of [...wave.objects].reverse()) {
      if (item.object.kind === 'Application') {
        const child = childOf(app, item);
        if (child !== undefined) {
          await pruneApplication(api, child, findings, timeoutMs);
          continue;
        }
      }
      await api
        .delete(item.object)
        .catch((err: Error) =>
          findings.push(
            clusterFinding(
              CLUSTER_RULES.prune,
              item,
              `deleting it failed: ${err.message}`,
              'let the Application prune it',
            ),
          ),
        );
    }
    const seen = new Set<string>();
    const remaining = () => wave.objects.filter((i) => !seen.has(key(i.object)));
    const gone = await waitFor(async () => {
      for (const item of remaining()) {
        const o = item.object;
        // An error answers nothing about the object: only a 404 counts as gone.
        const live = await api
          .get(o.apiVersion, o.kind, o.metadata.name, o.metadata.namespace)
          .catch(() => 'unknown');
        if (live === undefined) seen.add(key(o));
      }
      return remaining().length === 0;
    }, timeoutMs);
    if (!gone) {
      for (const item of remaining()) {
        const o = item.object;
        const live = await api
          .get(o.apiVersion, o.kind, o.metadata.name, o.metadata.namespace)
          .catch(() => undefined);
        const finalizers = (live?.metadata as { finalizers?: string[] } | undefined)?.finalizers ?? [];
        const conditions = (
          (live?.status as { conditions?: Array<{ type: string; message?: string }> } | undefined)
            ?.conditions ?? []
        )
          .map((c) => `${c.type}${c.message === undefined ? '' : `: ${c.message}`}`)
          .join('; ');
        findings.push(
          clusterFinding(
            CLUSTER_RULES.prune,
            item,
            `still there ${timeoutMs / 1000} s after the PR closed${finalizers.length > 0 ? ` (finalizers: ${finalizers.join(', ')})` : ''}${conditions === '' ? '' : ` (${conditions})`}`,
            'nothing the PR creates may outlive it: drop the finalizer or the object that blocks deletion',
          ),
        );
      }
    }
  }
  // Argo CD removes the resources finalizer once it has pruned: this loop was that pruning.
  await api.delete(app.application).catch(() => undefined);
  await api.clearFinalizers(app.application).catch(() => undefined);
}
