import { asArray, at } from '../objects.ts';
import { allObjects, containers } from './scene.ts';
import type { ObjectRule } from './types.ts';

/** The pod-template annotation that carries one key of a service's environment ConfigMap. */
export const settingAnnotation = (key: string) => `config.pr-canary.dev/env.${key}`;

/** Keys that never change for a running Deployment (its track is its namespace's). */
const FIXED = new Set(['DEPLOYMENT_TRACK']);

/**
 * Kubernetes rolls a Deployment's pods only when its pod template changes, and an envFrom
 * ConfigMap is read at container start: a setting changed only in the ConfigMap (a label
 * such as canary:isolated-data, a platform setting) would reach new pods only, whenever
 * they happen to start. So every setting of a service's environment ConfigMap is on its pod
 * template too, as an annotation with the same value.
 */
export const settingsRollPods: ObjectRule = {
  id: 'settings-roll-pods',
  description:
    "every key of a Deployment's environment ConfigMap (DEPLOYMENT_TRACK aside) is also an annotation config.pr-canary.dev/env.<KEY> of its pod template, with the same value: changing a setting or a label rolls the pods",
  remediation:
    'copy the setting into the pod template: stable/kustomization.yaml (Deployment annotations), canary/kustomization.yaml (the workload Application commonAnnotations), or the component that adds the key',
  kinds: ['Deployment'],
  *check(item, scene) {
    const annotations = (at(item.object, 'spec', 'template', 'metadata', 'annotations') ?? {}) as Record<
      string,
      unknown
    >;
    for (const container of containers(item.object))
      for (const from of asArray(container.envFrom)) {
        const name = at(from, 'configMapRef', 'name');
        const cm = allObjects(scene).find(
          ({ object }) =>
            object.kind === 'ConfigMap' &&
            object.metadata.name === name &&
            object.metadata.namespace === item.object.metadata.namespace,
        );
        if (cm === undefined) continue; // environment-track reports a missing ConfigMap
        for (const [key, value] of Object.entries((at(cm.object, 'data') ?? {}) as Record<string, unknown>)) {
          if (FIXED.has(key)) continue;
          const annotated = annotations[settingAnnotation(key)];
          if (annotated !== value)
            yield {
              path: `spec.template.metadata.annotations.${settingAnnotation(key)}`,
              message:
                annotated === undefined
                  ? `${key} (ConfigMap ${String(name)}) is not on the pod template: changing it would not roll the pods`
                  : `${key} is "${String(value)}" in ConfigMap ${String(name)} but "${String(annotated)}" on the pod template`,
            };
        }
      }
  },
};
