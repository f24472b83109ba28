import { asArray, at, type RenderedObject } from '../gitops/objects.ts';
import type { Finding } from '../gitops/rules/types.ts';
import type { KubeApi } from './kube-api.ts';
import { CLUSTER_RULES, clusterFinding } from './sync.ts';
import { waitFor } from './wait.ts';

type Live = Record<string, unknown>;

interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
}

const conditionsOf = (o: Live | undefined): Condition[] =>
  asArray(at(o, 'status', 'conditions')) as Condition[];
const uidOf = (o: Live): string => String(at(o, 'metadata', 'uid') ?? '');
const ownedBy = (o: Live, uid: string) =>
  asArray(at(o, 'metadata', 'ownerReferences')).some((r) => (r as { uid?: string }).uid === uid);

/** Conditions a real cluster shows as failing (Progressing=False is left out: with no kubelet nothing progresses). */
const FAILING = new Set(['ReplicaFailure']);

/**
 * Waits for the controllers to act on every applied Deployment (a ReplicaSet whose pods
 * were created, or a failure), then reports what a real cluster would show: pods the
 * ReplicaSet controller could not create (admission refused them) and failing conditions.
 */
export async function observeDeployments(
  api: KubeApi,
  applied: readonly RenderedObject[],
  timeoutMs = 20_000,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  const deployments = applied.filter((i) => i.object.kind === 'Deployment');
  const settled = new Map<RenderedObject, { deployment: Live | undefined; sets: Live[] }>();
  await waitFor(async () => {
    for (const item of deployments) {
      if (settled.has(item)) continue;
      const { name, namespace } = item.object.metadata;
      const deployment = await api.get('apps/v1', 'Deployment', name, namespace);
      if (deployment === undefined) continue;
      const sets = (await api.list('apps/v1', 'ReplicaSet', namespace)).filter((rs) =>
        ownedBy(rs, uidOf(deployment)),
      );
      const wanted = Number(at(deployment, 'spec', 'replicas') ?? 1);
      const failed =
        [deployment, ...sets].some((o) =>
          conditionsOf(o).some((c) => FAILING.has(c.type) && c.status === 'True'),
        ) || at(deployment, 'spec', 'paused') === true;
      const created = sets.some((rs) => Number(at(rs, 'status', 'replicas') ?? 0) >= wanted);
      if (failed || created) settled.set(item, { deployment, sets });
    }
    return settled.size === deployments.length;
  }, timeoutMs);

  for (const item of deployments) {
    const state = settled.get(item);
    if (state === undefined) {
      findings.push(
        clusterFinding(
          CLUSTER_RULES.rollout,
          item,
          `the controllers made no ReplicaSet with its pods within ${timeoutMs / 1000} s`,
          "check the Deployment's selector, replicas and namespace quota",
        ),
      );
      continue;
    }
    if (at(state.deployment, 'spec', 'paused') === true) {
      findings.push(
        clusterFinding(
          CLUSTER_RULES.rollout,
          item,
          'spec.paused is true: the controller rolls out nothing (no ReplicaSet, no pods), and every sync of a new image waits forever',
          'remove paused from the manifest (pause a rollout with kubectl, never in git)',
        ),
      );
      continue;
    }
    const reported = new Set<string>();
    for (const o of [state.deployment, ...state.sets]) {
      for (const c of conditionsOf(o)) {
        if (!FAILING.has(c.type) || c.status !== 'True') continue;
        const message = c.message ?? c.reason ?? c.type;
        if (reported.has(message)) continue;
        reported.add(message);
        findings.push(
          clusterFinding(
            CLUSTER_RULES.pods,
            item,
            `its pods cannot be created: ${message}`,
            "make the pod template pass the namespace's admission (Pod Security restricted, LimitRange, ResourceQuota, ServiceAccount)",
          ),
        );
      }
    }
  }
  return findings;
}

interface MountRef {
  readonly kind: 'ConfigMap' | 'Secret';
  readonly name: string;
  readonly key?: string;
  readonly where: string;
}

/** The ConfigMaps and Secrets a pod spec needs the kubelet to find (optional ones left out). */
export function requiredMounts(spec: unknown): MountRef[] {
  const refs: MountRef[] = [];
  const optional = (v: unknown) => at(v, 'optional') === true;
  for (const v of asArray(at(spec, 'volumes'))) {
    const cm = at(v, 'configMap');
    if (cm !== undefined && !optional(cm))
      refs.push({
        kind: 'ConfigMap',
        name: String(at(cm, 'name')),
        where: `volume ${String(at(v, 'name'))}`,
      });
    const s = at(v, 'secret');
    if (s !== undefined && !optional(s))
      refs.push({
        kind: 'Secret',
        name: String(at(s, 'secretName')),
        where: `volume ${String(at(v, 'name'))}`,
      });
    for (const source of asArray(at(v, 'projected', 'sources'))) {
      const pcm = at(source, 'configMap');
      if (pcm !== undefined && !optional(pcm))
        refs.push({
          kind: 'ConfigMap',
          name: String(at(pcm, 'name')),
          where: `volume ${String(at(v, 'name'))}`,
        });
      const ps = at(source, 'secret');
      if (ps !== undefined && !optional(ps))
        refs.push({ kind: 'Secret', name: String(at(ps, 'name')), where: `volume ${String(at(v, 'name'))}` });
    }
  }
  for (const c of [...asArray(at(spec, 'initContainers')), ...asArray(at(spec, 'containers'))]) {
    const container = String(at(c, 'name'));
    for (const e of asArray(at(c, 'envFrom'))) {
      const cm = at(e, 'configMapRef');
      if (cm !== undefined && !optional(cm))
        refs.push({
          kind: 'ConfigMap',
          name: String(at(cm, 'name')),
          where: `container ${container} envFrom`,
        });
      const s = at(e, 'secretRef');
      if (s !== undefined && !optional(s))
        refs.push({ kind: 'Secret', name: String(at(s, 'name')), where: `container ${container} envFrom` });
    }
    for (const e of asArray(at(c, 'env'))) {
      const cm = at(e, 'valueFrom', 'configMapKeyRef');
      if (cm !== undefined && !optional(cm))
        refs.push({
          kind: 'ConfigMap',
          name: String(at(cm, 'name')),
          key: String(at(cm, 'key')),
          where: `container ${container} env ${String(at(e, 'name'))}`,
        });
      const s = at(e, 'valueFrom', 'secretKeyRef');
      if (s !== undefined && !optional(s))
        refs.push({
          kind: 'Secret',
          name: String(at(s, 'name')),
          key: String(at(s, 'key')),
          where: `container ${container} env ${String(at(e, 'name'))}`,
        });
    }
  }
  return refs;
}

/**
 * For every pod the controllers created, what the kubelet would refuse to start it
 * without (no kubelet runs here: this reads the live ConfigMaps and Secrets).
 */
export async function checkPodMounts(api: KubeApi, applied: readonly RenderedObject[]): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const item of applied.filter((i) => i.object.kind === 'Deployment')) {
    const namespace = item.object.metadata.namespace;
    const spec = at(item.object, 'spec', 'template', 'spec');
    for (const ref of requiredMounts(spec)) {
      const live = await api.get('v1', ref.kind, ref.name, namespace);
      const data = {
        ...((at(live, 'data') as Record<string, unknown>) ?? {}),
        ...((at(live, 'stringData') as Record<string, unknown>) ?? {}),
      };
      const missing =
        live === undefined
          ? `${ref.kind} ${namespace}/${ref.name} does not exist`
          : ref.key !== undefined && !(ref.key in data)
            ? `${ref.kind} ${namespace}/${ref.name} has no key ${ref.key}`
            : undefined;
      if (missing === undefined) continue;
      findings.push(
        clusterFinding(
          CLUSTER_RULES.pods,
          item,
          `its pods would not start (${ref.where}): ${missing}`,
          `render the ${ref.kind} with the workload, mark the reference optional, or fix its name`,
        ),
      );
    }
  }
  return findings;
}
