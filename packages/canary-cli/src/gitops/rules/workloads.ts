import { CANARY_IMAGE_TAG, STABLE_TRACK, TRACK } from 'canary-context';
import { LINKERD_INJECT } from 'routing-model/mesh';
import { asArray, at, type K8sObject, quantity } from '../objects.ts';
import { allObjects, containers, findObject, ofKind } from './scene.ts';
import { type KindCheck, type ObjectRule, type Problem, perKind, type Scene } from './types.ts';

const WORKLOAD_KINDS = ['Deployment', 'StatefulSet'];

export const immutableImageTag: ObjectRule = {
  id: 'immutable-image-tag',
  description:
    "images carry an explicit, immutable tag: no latest, no bare pr-<N> (nothing rolls on push); canaries use pr-<N>-<head sha>; every image, a PR's too, comes from the platform's registry (in a cluster, admission policy pr-canary-images refuses others in PR namespaces)",
  remediation:
    'set a version tag (canaries: pr-<N>-<head_short_sha>, stable: a version in the platform registry)',
  kinds: WORKLOAD_KINDS,
  *check(item, scene, app) {
    const pr = app?.pullRequest;
    for (const [i, c] of containers(item.object).entries()) {
      const image = String(c.image ?? '');
      const tag = /:([^/:@]+)(@.*)?$/.exec(image)?.[1];
      const bad = (message: string, fix: string): Problem => ({
        path: `spec.template.spec.containers[${i}].image`,
        message,
        fix,
      });
      if (tag === undefined && !image.includes('@')) yield bad(`${image} has no tag`, 'set a version tag');
      else if (tag === 'latest') yield bad(`${image}: latest is mutable`, 'set a version tag');
      else if (tag !== undefined && tag !== STABLE_TRACK && TRACK.test(tag))
        yield bad(
          `${image}: a reused pr-<N> tag leaves the pod spec unchanged on push, so nothing rolls`,
          'tag with pr-<N>-<head sha>',
        );
      else if (pr !== undefined && CANARY_IMAGE_TAG.exec(tag ?? '')?.[1] !== String(pr))
        yield bad(
          `${image}: PR ${pr}'s images are tagged pr-${pr}-<head sha>`,
          `set the image from the ApplicationSet's head_short_sha`,
        );
      if (!image.startsWith(`${scene.context.registry}/`))
        yield bad(
          `${image} is not in the platform's registry ${scene.context.registry}`,
          'prefix the registry from manifests-microservices/platform',
        );
    }
  },
};

export const podHardening: ObjectRule = {
  id: 'pod-hardening',
  description:
    'pods run as non-root, read-only, no privilege escalation, ALL capabilities dropped, RuntimeDefault seccomp, no API token unless needed, with probes and limits',
  remediation: 'restore the hardened settings of kustomize/<service>/base/deployment.yaml',
  kinds: WORKLOAD_KINDS,
  *check(item) {
    const pod = at(item.object, 'spec', 'template', 'spec');
    const bad = (path: string, message: string): Problem => ({
      path,
      message: `${path.split('.').at(-1)} ${message}`,
    });
    if (at(pod, 'securityContext', 'runAsNonRoot') !== true)
      yield bad('spec.template.spec.securityContext.runAsNonRoot', 'is not true');
    if (at(pod, 'automountServiceAccountToken') !== false)
      yield bad(
        'spec.template.spec.automountServiceAccountToken',
        'is not false: the pod gets a Kubernetes API token it does not use',
      );
    for (const [i, c] of containers(item.object).entries()) {
      const at_ = `spec.template.spec.containers[${i}]`;
      const seccomp =
        at(c, 'securityContext', 'seccompProfile', 'type') ??
        at(pod, 'securityContext', 'seccompProfile', 'type');
      if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost')
        yield bad(`${at_}.securityContext.seccompProfile`, 'is not RuntimeDefault');
      if (at(c, 'securityContext', 'allowPrivilegeEscalation') !== false)
        yield bad(`${at_}.securityContext.allowPrivilegeEscalation`, 'is not false');
      if (at(c, 'securityContext', 'readOnlyRootFilesystem') !== true)
        yield bad(`${at_}.securityContext.readOnlyRootFilesystem`, 'is not true');
      if (!asArray(at(c, 'securityContext', 'capabilities', 'drop')).includes('ALL'))
        yield bad(`${at_}.securityContext.capabilities.drop`, 'does not drop ALL');
      for (const kind of ['requests', 'limits'])
        for (const resource of ['cpu', 'memory'])
          if (at(c, 'resources', kind, resource) === undefined)
            yield bad(`${at_}.resources.${kind}.${resource}`, 'is not set');
      for (const probe of ['livenessProbe', 'readinessProbe'])
        if (c[probe] === undefined) yield bad(`${at_}.${probe}`, 'is missing');
    }
  },
};

const probeTarget = (probe: unknown): string | undefined => {
  if (probe === undefined) return undefined;
  const path = at(probe, 'httpGet', 'path');
  if (typeof path === 'string') return path;
  if (at(probe, 'grpc') !== undefined) return String(at(probe, 'grpc', 'service') ?? '');
  return undefined;
};

export const livenessIndependent: ObjectRule = {
  id: 'liveness-independent',
  description:
    "no liveness probe depends on a downstream: it probes the catalogue's liveness endpoint, never the readiness one",
  remediation: "liveness probes the catalogue's health.liveness, readiness the catalogue's health.readiness",
  kinds: WORKLOAD_KINDS,
  *check(item, scene) {
    const entry = scene.context.catalogue.find((e) => e.name === item.object.metadata.name);
    if (entry === undefined) return;
    const show = (v: string | undefined) => (v === '' ? '"" (overall status)' : (v ?? 'nothing'));
    for (const [i, c] of containers(item.object).entries()) {
      if (c.name !== entry.name) continue;
      const liveness = probeTarget(c.livenessProbe);
      const readiness = probeTarget(c.readinessProbe);
      if (liveness !== entry.health.liveness)
        yield {
          path: `spec.template.spec.containers[${i}].livenessProbe`,
          message: `liveness probes ${show(liveness)}${liveness === entry.health.readiness ? ', the readiness endpoint, which waits for downstreams: a pod started during a downstream outage would be restarted again and again' : `, not the catalogue's ${show(entry.health.liveness)}`}`,
          fix: `probe ${show(entry.health.liveness)} for liveness (catalogue health.liveness)`,
        };
      if (readiness !== entry.health.readiness)
        yield {
          path: `spec.template.spec.containers[${i}].readinessProbe`,
          message: `readiness probes ${show(readiness)}, not the catalogue's ${show(entry.health.readiness)}`,
          fix: `probe ${show(entry.health.readiness)} for readiness`,
        };
    }
  },
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

export const quotaFitsRollout: ObjectRule = {
  id: 'quota-fits-rollout',
  description:
    "a canary namespace's ResourceQuota holds its pods during a rollout (surge pod included), app and Linkerd proxy counted, with the LimitRange's defaults",
  remediation: "raise the quota, or size the canary's resources down",
  kinds: ['ResourceQuota'],
  check(quota, scene, app) {
    // A PR Application's quota: what its workload Applications run in the namespace.
    if (app === undefined || !scene.canary.includes(app)) return [];
    const ns = app.destinationNamespace;
    const namespace = app.objects.find(({ object }) => object.kind === 'Namespace')?.object;
    const limitRange = app.objects.find(({ object }) => object.kind === 'LimitRange')?.object;
    const defaults = asArray(at(limitRange, 'spec', 'limits')).find((l) => at(l, 'type') === 'Container');
    const byDefault = (kind: 'requests' | 'limits', resource: 'cpu' | 'memory') =>
      quantity(at(defaults, kind === 'requests' ? 'defaultRequest' : 'default', resource)) ?? 0;
    const total: Usage = { requestsCpu: 0, requestsMemory: 0, limitsCpu: 0, limitsMemory: 0 };
    let pods = 0;
    const meshed = namespace?.metadata.annotations?.[LINKERD_INJECT] === 'enabled';
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
        if (meshed && podAnnotations[LINKERD_INJECT] !== 'disabled')
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
    return checks.flatMap(([key, need, show]): Problem[] => {
      const have = quantity(hard[key]);
      return have === undefined || have + 1e-9 >= need
        ? []
        : [
            {
              path: `spec.hard.${key}`,
              message: `${ns} needs ${show(need)} of ${key} during a rollout (${pods} pods, app + proxy), the quota allows ${hard[key]}: the surge pod would be rejected`,
              fix: `raise ${key} to at least ${show(need)} (or shrink the canary's resources)`,
            },
          ];
    });
  },
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

/** A reference to a Service port (a route's parent or backend): the Service is rendered and has the port. */
function* serviceRef(
  scene: Scene,
  path: string,
  name: string,
  namespace: string | undefined,
  port: unknown,
): Generator<Problem> {
  const svc = findObject(scene, 'Service', namespace, name);
  if (svc === undefined) {
    yield {
      path,
      message: `Service ${namespace}/${name} is not rendered`,
      fix: 'name a Service that the manifests create',
    };
    return;
  }
  const ports = servicePorts(svc.object);
  if (!(typeof port === 'number' ? ports.some((p) => p.port === port) : ports.some((p) => p.name === port)))
    yield {
      path: `${path}.port`,
      message: `port ${JSON.stringify(port)} is not a port of Service ${namespace}/${name} (${ports.map((p) => `${String(p.name)}:${String(p.port)}`).join(', ')})`,
      fix: "use one of the Service's ports",
    };
}

/** What each kind ports-resolve reads refers to. */
const PORT_REFERENCES: Record<string, KindCheck> = {
  *GRPCRoute({ object }, scene) {
    const ns = object.metadata.namespace;
    for (const [i, ref] of asArray(at(object, 'spec', 'parentRefs')).entries())
      if (at(ref, 'kind') === 'Service')
        yield* serviceRef(
          scene,
          `spec.parentRefs[${i}]`,
          String(at(ref, 'name')),
          (at(ref, 'namespace') as string | undefined) ?? ns,
          at(ref, 'port'),
        );
    for (const [r, rule] of asArray(at(object, 'spec', 'rules')).entries())
      for (const [b, ref] of asArray(at(rule, 'backendRefs')).entries())
        yield* serviceRef(
          scene,
          `spec.rules[${r}].backendRefs[${b}]`,
          String(at(ref, 'name')),
          (at(ref, 'namespace') as string | undefined) ?? ns,
          at(ref, 'port'),
        );
  },
  *IngressRoute({ object }, scene) {
    for (const [r, route] of asArray(at(object, 'spec', 'routes')).entries())
      for (const [i, s] of asArray(at(route, 'services')).entries())
        yield* serviceRef(
          scene,
          `spec.routes[${r}].services[${i}]`,
          String(at(s, 'name')),
          (at(s, 'namespace') as string | undefined) ?? object.metadata.namespace,
          at(s, 'port'),
        );
  },
  *Service({ object }, scene) {
    const selector = at(object, 'spec', 'selector');
    const deployment = ofKind(allObjects(scene), 'Deployment').find(
      (d) =>
        d.object.metadata.namespace === object.metadata.namespace &&
        selectorMatches(selector, at(d.object, 'spec', 'template', 'metadata', 'labels')),
    );
    if (deployment === undefined) {
      yield {
        path: 'spec.selector',
        message: `selects no Deployment in ${object.metadata.namespace}: the Service has no endpoints`,
        fix: "match the Deployment's pod labels",
      };
      return;
    }
    const containerPorts = containers(deployment.object).flatMap((c) =>
      asArray(c.ports).map((p) => ({ name: at(p, 'name'), port: at(p, 'containerPort') })),
    );
    for (const [i, p] of servicePorts(object).entries()) {
      const target = p.targetPort ?? p.port;
      if (!containerPorts.some((c) => (typeof target === 'number' ? c.port === target : c.name === target)))
        yield {
          path: `spec.ports[${i}].targetPort`,
          message: `targetPort ${JSON.stringify(target)} is no container port of Deployment ${deployment.object.metadata.name}`,
          fix: 'use a containerPort name of the Deployment',
        };
    }
  },
  *ServiceMonitor({ object }, scene) {
    const selector = at(object, 'spec', 'selector', 'matchLabels');
    const svc = ofKind(allObjects(scene), 'Service').find(
      (s) =>
        s.object.metadata.namespace === object.metadata.namespace &&
        selectorMatches(selector, s.object.metadata.labels),
    );
    if (svc === undefined) {
      yield {
        path: 'spec.selector',
        message: `selects no Service in ${object.metadata.namespace}: nothing is scraped`,
        fix: "match the Service's labels",
      };
      return;
    }
    for (const [i, e] of asArray(at(object, 'spec', 'endpoints')).entries())
      if (!servicePorts(svc.object).some((p) => p.name === at(e, 'port')))
        yield {
          path: `spec.endpoints[${i}].port`,
          message: `Service ${svc.object.metadata.name} has no port named ${String(at(e, 'port'))}: nothing is scraped`,
          fix: "use the Service's metrics port name",
        };
  },
};

export const portsResolve: ObjectRule = {
  id: 'ports-resolve',
  description:
    'route ports resolve to ports of the Service they name, in its namespace; Service selectors and target ports match a Deployment; ServiceMonitors select a Service and its port',
  remediation: 'use the ports and labels the objects really have',
  ...perKind(PORT_REFERENCES),
};
