import type { RenderedApplication } from '../gitops/argo.ts';
import { type RenderedObject, syncWave } from '../gitops/objects.ts';

/**
 * The order Argo CD applies the kinds of one sync wave in (gitops-engine's kind order);
 * kinds it does not list (custom resources) come after all of them.
 */
export const KIND_ORDER = [
  'Namespace',
  'NetworkPolicy',
  'ResourceQuota',
  'LimitRange',
  'PodSecurityPolicy',
  'PodDisruptionBudget',
  'ServiceAccount',
  'Secret',
  'SecretList',
  'ConfigMap',
  'StorageClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleList',
  'ClusterRoleBinding',
  'ClusterRoleBindingList',
  'Role',
  'RoleList',
  'RoleBinding',
  'RoleBindingList',
  'Service',
  'DaemonSet',
  'Pod',
  'ReplicationController',
  'ReplicaSet',
  'Deployment',
  'HorizontalPodAutoscaler',
  'StatefulSet',
  'Job',
  'CronJob',
  'IngressClass',
  'Ingress',
  'APIService',
] as const;

const kindRank = (kind: string): number => {
  const i = (KIND_ORDER as readonly string[]).indexOf(kind);
  return i < 0 ? KIND_ORDER.length : i;
};

/** One sync wave of an Application: its objects in apply order. */
export interface Wave {
  readonly wave: number;
  readonly objects: readonly RenderedObject[];
}

/** An Application's objects grouped by sync wave (ascending), each wave in Argo CD's kind order, then by name. */
export function syncWaves(app: RenderedApplication): Wave[] {
  const waves = new Map<number, RenderedObject[]>();
  for (const item of app.objects) {
    const w = syncWave(item.object);
    waves.set(w, [...(waves.get(w) ?? []), item]);
  }
  return [...waves.entries()]
    .sort(([a], [b]) => a - b)
    .map(([wave, objects]) => ({
      wave,
      objects: [...objects].sort(
        (a, b) =>
          kindRank(a.object.kind) - kindRank(b.object.kind) ||
          a.object.kind.localeCompare(b.object.kind) ||
          (a.object.metadata.namespace ?? '').localeCompare(b.object.metadata.namespace ?? '') ||
          a.object.metadata.name.localeCompare(b.object.metadata.name),
      ),
    }));
}

/** The child Application an Application object of `parent` renders to. */
export function childOf(parent: RenderedApplication, item: RenderedObject): RenderedApplication | undefined {
  return parent.children.find(
    (c) =>
      c.application.metadata.name === item.object.metadata.name &&
      (c.application.metadata.namespace ?? '') === (item.object.metadata.namespace ?? ''),
  );
}
