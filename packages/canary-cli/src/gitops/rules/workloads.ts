import type { RenderedApplication } from '../argo.ts';
import { asArray, at, type K8sObject, quantity, type RenderedObject } from '../objects.ts';
import { allApplications, allObjects, containers, findObject, ofKind } from './scene.ts';
import { type Finding, finding, type Rule, type Scene } from './types.ts';

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet']);
const workloads = (apps: readonly RenderedApplication[]) =>
  apps.flatMap((app) =>
    app.objects.filter(({ object }) => WORKLOAD_KINDS.has(object.kind)).map((item) => ({ app, item })),
  );

export const immutableImageTag: Rule = {
  id: 'immutable-image-tag',
  description:
    'images carry an explicit, immutable tag: no latest, no bare pr-<N>; canaries use pr-<N>-<head sha>',
  remediation: '',
  legacy: (scene) =>
    workloads(allApplications(scene)).flatMap(({ app, item }) =>
      containers(item.object).flatMap((c, i) => {
        const image = String(c.image ?? '');
        const tag = /:([^/:@]+)(@.*)?$/.exec(image)?.[1];
        const path = `spec.template.spec.containers[${i}].image`;
        const bad = (message: string, fix: string) => [
          finding('immutable-image-tag', item, path, message, fix),
        ];
        if (tag === undefined && !image.includes('@')) return bad(`${image} has no tag`, 'set a version tag');
        if (tag === 'latest') return bad(`${image}: latest is mutable`, 'set a version tag');
        if (tag !== undefined && /^pr-\d+$/.test(tag))
          return bad(
            `${image}: a reused pr-<N> tag leaves the pod spec unchanged on push, so nothing rolls`,
            'tag with pr-<N>-<head sha>',
          );
        if (
          app.pullRequest !== undefined &&
          !new RegExp(`^pr-${app.pullRequest}-[0-9a-f]{7,40}$`).test(tag ?? '')
        )
          return bad(
            `${image}: PR ${app.pullRequest}'s images are tagged pr-${app.pullRequest}-<head sha>`,
            `set the image from the ApplicationSet's head_short_sha`,
          );
        if (app.pullRequest === undefined && !image.startsWith(`${scene.context.registry}/`))
          return bad(
            `${image} is not in the platform's registry ${scene.context.registry}`,
            'prefix the registry from manifests-microservices/platform',
          );
        return [];
      }),
    ),
};

export const podHardening: Rule = {
  id: 'pod-hardening',
  description:
    'pods run as non-root, read-only, no privilege escalation, ALL capabilities dropped, RuntimeDefault seccomp, no API token unless needed, with probes and limits',
  remediation: '',
  legacy: (scene) =>
    workloads(allApplications(scene)).flatMap(({ item }) => {
      const pod = at(item.object, 'spec', 'template', 'spec');
      const out: Array<[string, string]> = [];
      if (at(pod, 'securityContext', 'runAsNonRoot') !== true)
        out.push(['spec.template.spec.securityContext.runAsNonRoot', 'is not true']);
      if (at(pod, 'automountServiceAccountToken') !== false)
        out.push([
          'spec.template.spec.automountServiceAccountToken',
          'is not false: the pod gets a Kubernetes API token it does not use',
        ]);
      containers(item.object).forEach((c, i) => {
        const at_ = `spec.template.spec.containers[${i}]`;
        const seccomp =
          at(c, 'securityContext', 'seccompProfile', 'type') ??
          at(pod, 'securityContext', 'seccompProfile', 'type');
        if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost')
          out.push([`${at_}.securityContext.seccompProfile`, 'is not RuntimeDefault']);
        if (at(c, 'securityContext', 'allowPrivilegeEscalation') !== false)
          out.push([`${at_}.securityContext.allowPrivilegeEscalation`, 'is not false']);
        if (at(c, 'securityContext', 'readOnlyRootFilesystem') !== true)
          out.push([`${at_}.securityContext.readOnlyRootFilesystem`, 'is not true']);
        if (!asArray(at(c, 'securityContext', 'capabilities', 'drop')).includes('ALL'))
          out.push([`${at_}.securityContext.capabilities.drop`, 'does not drop ALL']);
        for (const kind of ['requests', 'limits'])
          for (const resource of ['cpu', 'memory'])
            if (at(c, 'resources', kind, resource) === undefined)
              out.push([`${at_}.resources.${kind}.${resource}`, 'is not set']);
        for (const probe of ['livenessProbe', 'readinessProbe'])
          if (c[probe] === undefined) out.push([`${at_}.${probe}`, 'is missing']);
      });
      return out.map(([path, message]) =>
        finding(
          'pod-hardening',
          item,
          path,
          `${path.split('.').at(-1)} ${message}`,
          'restore the hardened settings of kustomize/<service>/base/deployment.yaml',
        ),
      );
    }),
};

const probeTarget = (probe: unknown): string | undefined => {
  if (probe === undefined) return undefined;
  const path = at(probe, 'httpGet', 'path');
  if (typeof path === 'string') return path;
  if (at(probe, 'grpc') !== undefined) return String(at(probe, 'grpc', 'service') ?? '');
  return undefined;
};

export const livenessIndependent: Rule = {
  id: 'liveness-independent',
  description:
    "no liveness probe depends on a downstream: it probes the catalogue's liveness endpoint, never the readiness one",
  remediation: '',
  legacy: (scene) =>
    workloads(allApplications(scene)).flatMap(({ item }) => {
      const entry = scene.context.catalogue.find((e) => e.name === item.object.metadata.name);
      if (entry === undefined) return [];
      return containers(item.object).flatMap((c, i) => {
        if (c.name !== entry.name) return [];
        const liveness = probeTarget(c.livenessProbe);
        const readiness = probeTarget(c.readinessProbe);
        const out: Finding[] = [];
        const show = (v: string | undefined) => (v === '' ? '"" (overall status)' : (v ?? 'nothing'));
        if (liveness !== entry.health.liveness)
          out.push(
            finding(
              'liveness-independent',
              item,
              `spec.template.spec.containers[${i}].livenessProbe`,
              `liveness probes ${show(liveness)}${liveness === entry.health.readiness ? ', the readiness endpoint, which follows downstreams: a downstream blip would restart every pod' : `, not the catalogue's ${show(entry.health.liveness)}`}`,
              `probe ${show(entry.health.liveness)} for liveness (catalogue health.liveness)`,
            ),
          );
        if (readiness !== entry.health.readiness)
          out.push(
            finding(
              'liveness-independent',
              item,
              `spec.template.spec.containers[${i}].readinessProbe`,
              `readiness probes ${show(readiness)}, not the catalogue's ${show(entry.health.readiness)}`,
              `probe ${show(entry.health.readiness)} for readiness`,
            ),
          );
        return out;
      });
    }),
};

interface Usage {
  requestsCpu: number;
  requestsMemory: number;
  limitsCpu: number;
  limitsMemory: number;
}

const LINKERD_PROXY = {
  requestsCpu: 'config.linkerd.io/proxy-cpu-request',
  limitsCpu: 'config.linkerd.io/proxy-cpu-limit',
  requestsMemory: 'config.linkerd.io/proxy-memory-request',
  limitsMemory: 'config.linkerd.io/proxy-memory-limit',
} as const;

/** Pods a rollout runs at once: replicas plus maxSurge. */
function rolloutPods(deployment: K8sObject): number {
  const replicas = Number(at(deployment, 'spec', 'replicas') ?? 1);
  const surge = at(deployment, 'spec', 'strategy', 'rollingUpdate', 'maxSurge') ?? '25%';
  const extra =
    typeof surge === 'string' && surge.endsWith('%')
      ? Math.ceil((replicas * Number(surge.slice(0, -1))) / 100)
      : Number(surge);
  return replicas + extra;
}

export const quotaFitsRollout: Rule = {
  id: 'quota-fits-rollout',
  description:
    "a canary namespace's ResourceQuota holds its pods during a rollout (surge pod included), app and Linkerd proxy counted, with the LimitRange's defaults",
  remediation: '',
  legacy: (scene) =>
    scene.canary.flatMap((app) => {
      const ns = app.destinationNamespace;
      const quota = app.objects.find(({ object }) => object.kind === 'ResourceQuota');
      const namespace = app.objects.find(({ object }) => object.kind === 'Namespace')?.object;
      if (quota === undefined) return [];
      const limitRange = app.objects.find(({ object }) => object.kind === 'LimitRange')?.object;
      const defaults = asArray(at(limitRange, 'spec', 'limits')).find((l) => at(l, 'type') === 'Container');
      const byDefault = (kind: 'requests' | 'limits', resource: 'cpu' | 'memory') =>
        quantity(at(defaults, kind === 'requests' ? 'defaultRequest' : 'default', resource)) ?? 0;
      const total: Usage = { requestsCpu: 0, requestsMemory: 0, limitsCpu: 0, limitsMemory: 0 };
      let pods = 0;
      const meshed = namespace?.metadata.annotations?.['linkerd.io/inject'] === 'enabled';
      for (const child of app.children)
        for (const { object } of child.objects.filter((o) => o.object.kind === 'Deployment')) {
          const n = rolloutPods(object);
          pods += n;
          const perPod: Usage = { requestsCpu: 0, requestsMemory: 0, limitsCpu: 0, limitsMemory: 0 };
          for (const c of containers(object)) {
            perPod.requestsCpu +=
              quantity(at(c, 'resources', 'requests', 'cpu')) ?? byDefault('requests', 'cpu');
            perPod.requestsMemory +=
              quantity(at(c, 'resources', 'requests', 'memory')) ?? byDefault('requests', 'memory');
            perPod.limitsCpu += quantity(at(c, 'resources', 'limits', 'cpu')) ?? byDefault('limits', 'cpu');
            perPod.limitsMemory +=
              quantity(at(c, 'resources', 'limits', 'memory')) ?? byDefault('limits', 'memory');
          }
          const podAnnotations = (at(object, 'spec', 'template', 'metadata', 'annotations') ?? {}) as Record<
            string,
            string
          >;
          if (meshed && podAnnotations['linkerd.io/inject'] !== 'disabled')
            for (const [field, annotation] of Object.entries(LINKERD_PROXY) as Array<[keyof Usage, string]>) {
              const [kind, resource] = field.startsWith('requests')
                ? (['requests', field === 'requestsCpu' ? 'cpu' : 'memory'] as const)
                : (['limits', field === 'limitsCpu' ? 'cpu' : 'memory'] as const);
              perPod[field] +=
                quantity(podAnnotations[annotation] ?? namespace?.metadata.annotations?.[annotation]) ??
                byDefault(kind, resource);
            }
          for (const key of Object.keys(total) as Array<keyof Usage>) total[key] += perPod[key] * n;
        }
      const hard = (at(quota.object, 'spec', 'hard') ?? {}) as Record<string, string>;
      const checks: Array<[string, number, (v: number) => string]> = [
        ['requests.cpu', total.requestsCpu, (v) => `${Math.round(v * 1000)}m`],
        ['limits.cpu', total.limitsCpu, (v) => `${Math.round(v * 1000)}m`],
        ['requests.memory', total.requestsMemory, (v) => `${Math.ceil(v / 2 ** 20)}Mi`],
        ['limits.memory', total.limitsMemory, (v) => `${Math.ceil(v / 2 ** 20)}Mi`],
        ['pods', pods, (v) => String(v)],
      ];
      return checks.flatMap(([key, need, show]) => {
        const have = quantity(hard[key]);
        return have === undefined || have + 1e-9 >= need
          ? []
          : [
              finding(
                'quota-fits-rollout',
                quota,
                `spec.hard.${key}`,
                `${ns} needs ${show(need)} of ${key} during a rollout (${pods} pods, app + proxy), the quota allows ${hard[key]}: the surge pod would be rejected`,
                `raise ${key} to at least ${show(need)} (or shrink the canary's resources)`,
              ),
            ];
      });
    }),
};

const selectorMatches = (selector: unknown, labels: unknown) =>
  typeof selector === 'object' &&
  selector !== null &&
  Object.keys(selector).length > 0 &&
  Object.entries(selector).every(([k, v]) => at(labels, k) === v);

function servicePorts(service: K8sObject) {
  return asArray(at(service, 'spec', 'ports')).map((p) => ({
    name: at(p, 'name'),
    port: at(p, 'port'),
    targetPort: at(p, 'targetPort'),
  }));
}

export const portsResolve: Rule = {
  id: 'ports-resolve',
  description:
    'route ports resolve to ports of the Service they name, in its namespace; Service selectors and target ports match a Deployment; ServiceMonitors select a Service and its port',
  remediation: '',
  legacy: (scene) => {
    const out: Finding[] = [];
    const objects = allObjects(scene);
    const service = (name: string, namespace: string | undefined) =>
      findObject(scene, 'Service', namespace, name);
    const refCheck = (
      item: RenderedObject,
      path: string,
      name: string,
      namespace: string | undefined,
      port: unknown,
    ) => {
      const svc = service(name, namespace);
      if (svc === undefined) {
        out.push(
          finding(
            'ports-resolve',
            item,
            path,
            `Service ${namespace}/${name} is not rendered`,
            'name a Service that the manifests create',
          ),
        );
        return;
      }
      const ports = servicePorts(svc.object);
      const ok =
        typeof port === 'number' ? ports.some((p) => p.port === port) : ports.some((p) => p.name === port);
      if (!ok)
        out.push(
          finding(
            'ports-resolve',
            item,
            `${path}.port`,
            `port ${JSON.stringify(port)} is not a port of Service ${namespace}/${name} (${ports.map((p) => `${String(p.name)}:${String(p.port)}`).join(', ')})`,
            "use one of the Service's ports",
          ),
        );
    };
    for (const item of ofKind(objects, 'GRPCRoute')) {
      const ns = item.object.metadata.namespace;
      asArray(at(item.object, 'spec', 'parentRefs')).forEach((ref, i) => {
        if (at(ref, 'kind') === 'Service')
          refCheck(
            item,
            `spec.parentRefs[${i}]`,
            String(at(ref, 'name')),
            (at(ref, 'namespace') as string | undefined) ?? ns,
            at(ref, 'port'),
          );
      });
      for (const [r, rule] of asArray(at(item.object, 'spec', 'rules')).entries())
        for (const [b, ref] of asArray(at(rule, 'backendRefs')).entries())
          refCheck(
            item,
            `spec.rules[${r}].backendRefs[${b}]`,
            String(at(ref, 'name')),
            (at(ref, 'namespace') as string | undefined) ?? ns,
            at(ref, 'port'),
          );
    }
    for (const item of ofKind(objects, 'IngressRoute')) {
      for (const [r, route] of asArray(at(item.object, 'spec', 'routes')).entries())
        for (const [i, s] of asArray(at(route, 'services')).entries())
          refCheck(
            item,
            `spec.routes[${r}].services[${i}]`,
            String(at(s, 'name')),
            (at(s, 'namespace') as string | undefined) ?? item.object.metadata.namespace,
            at(s, 'port'),
          );
    }
    for (const item of ofKind(objects, 'Service')) {
      const selector = at(item.object, 'spec', 'selector');
      const deployment = ofKind(objects, 'Deployment').find(
        ({ object }) =>
          object.metadata.namespace === item.object.metadata.namespace &&
          selectorMatches(selector, at(object, 'spec', 'template', 'metadata', 'labels')),
      );
      if (deployment === undefined) {
        out.push(
          finding(
            'ports-resolve',
            item,
            'spec.selector',
            `selects no Deployment in ${item.object.metadata.namespace}: the Service has no endpoints`,
            "match the Deployment's pod labels",
          ),
        );
        continue;
      }
      const containerPorts = containers(deployment.object).flatMap((c) =>
        asArray(c.ports).map((p) => ({ name: at(p, 'name'), port: at(p, 'containerPort') })),
      );
      servicePorts(item.object).forEach((p, i) => {
        const target = p.targetPort ?? p.port;
        if (!containerPorts.some((c) => (typeof target === 'number' ? c.port === target : c.name === target)))
          out.push(
            finding(
              'ports-resolve',
              item,
              `spec.ports[${i}].targetPort`,
              `targetPort ${JSON.stringify(target)} is no container port of Deployment ${deployment.object.metadata.name}`,
              'use a containerPort name of the Deployment',
            ),
          );
      });
    }
    for (const item of ofKind(objects, 'ServiceMonitor')) {
      const selector = at(item.object, 'spec', 'selector', 'matchLabels');
      const svc = ofKind(objects, 'Service').find(
        ({ object }) =>
          object.metadata.namespace === item.object.metadata.namespace &&
          selectorMatches(selector, object.metadata.labels),
      );
      if (svc === undefined) {
        out.push(
          finding(
            'ports-resolve',
            item,
            'spec.selector',
            `selects no Service in ${item.object.metadata.namespace}: nothing is scraped`,
            "match the Service's labels",
          ),
        );
        continue;
      }
      asArray(at(item.object, 'spec', 'endpoints')).forEach((e, i) => {
        if (!servicePorts(svc.object).some((p) => p.name === at(e, 'port')))
          out.push(
            finding(
              'ports-resolve',
              item,
              `spec.endpoints[${i}].port`,
              `Service ${svc.object.metadata.name} has no port named ${String(at(e, 'port'))}: nothing is scraped`,
              "use the Service's metrics port name",
            ),
          );
      });
    }
    return out;
  },
};

export type { Scene };
