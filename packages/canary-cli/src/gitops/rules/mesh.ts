import { CANARY_METADATA_KEY } from 'canary-context';
import { asArray, at, type RenderedObject } from '../objects.ts';
import { allApplications, allObjects, findObject, ofKind } from './scene.ts';
import type { ObjectRule, SceneRule } from './types.ts';

/** Every match of every rule of a GRPCRoute, with its path. */
const matchesOf = (route: RenderedObject) =>
  asArray(at(route.object, 'spec', 'rules')).flatMap((rule, r) =>
    asArray(at(rule, 'matches')).map((match, m) => ({ match, path: `spec.rules[${r}].matches[${m}]` })),
  );

export const grpcRouteMethodMatch: ObjectRule = {
  id: 'grpcroute-method-match',
  description:
    'every GRPCRoute match with headers also matches the gRPC service (older Linkerd rejects header-only matches)',
  remediation: 'add method: {type: Exact, service: <the gRPC service>}',
  kinds: ['GRPCRoute'],
  check: (item) =>
    matchesOf(item)
      .filter(
        ({ match }) =>
          asArray(at(match, 'headers')).length > 0 && typeof at(match, 'method', 'service') !== 'string',
      )
      .map(({ path }) => ({
        path,
        message:
          'matches headers only: Linkerd before 2026 rejects the whole route ("invalid client policy")',
      })),
};

export const grpcServiceExists: ObjectRule = {
  id: 'grpc-service-exists',
  description:
    'every GRPCRoute method match names a service (and method) that a .proto of the repository defines',
  remediation: "the catalogue's grpcService must be the proto's full service name",
  kinds: ['GRPCRoute'],
  *check(item, scene) {
    for (const { match, path } of matchesOf(item)) {
      const service = at(match, 'method', 'service');
      const method = at(match, 'method', 'method');
      if (typeof service !== 'string') continue;
      const methods = scene.context.grpc.get(service);
      if (methods === undefined)
        yield {
          path: `${path}.method.service`,
          message: `no .proto defines gRPC service ${service}: the rule never matches and traffic silently stays stable`,
          fix: `use one of: ${[...scene.context.grpc.keys()].join(', ') || '(none found)'}`,
        };
      else if (typeof method === 'string' && !methods.includes(method))
        yield {
          path: `${path}.method.method`,
          message: `${service} has no method ${method}`,
          fix: `use one of: ${methods.join(', ')}`,
        };
    }
  },
};

export const grpcRouteParent: ObjectRule = {
  id: 'grpcroute-parent',
  description:
    'GRPCRoutes attach to a Service (group "") in that Service\'s own namespace (a producer route, applied to every caller)',
  remediation: 'put the route in the namespace of the stable Service the callers use, with group: ""',
  kinds: ['GRPCRoute'],
  *check(item, scene) {
    const stableHome = (name: string) =>
      scene.stable
        .flatMap((a) => a.objects)
        .find(({ object }) => object.kind === 'Service' && object.metadata.name === name)?.object.metadata
        .namespace;
    for (const [p, ref] of asArray(at(item.object, 'spec', 'parentRefs')).entries()) {
      const path = `spec.parentRefs[${p}]`;
      const name = String(at(ref, 'name'));
      if (at(ref, 'kind') === 'Service' && at(ref, 'group') !== '')
        yield {
          path: `${path}.group`,
          message: `group ${JSON.stringify(at(ref, 'group') ?? null)}: a Service parent's group is "" (core); Linkerd tolerates others, the Gateway API spec does not`,
          fix: 'set group: ""',
        };
      const home = stableHome(name);
      if (home === undefined) {
        yield {
          path: `${path}.name`,
          message: `parent Service ${name} is not rendered in ${scene.name}`,
          fix: 'name the stable Service the callers use',
        };
        continue;
      }
      const routeNs = item.object.metadata.namespace;
      const refNs = (at(ref, 'namespace') as string | undefined) ?? routeNs;
      if (routeNs !== home || refNs !== home)
        yield {
          path: 'metadata.namespace',
          message: `route in ${routeNs}, parent Service ${name} in ${home}: a route elsewhere is a consumer route and applies only to callers in its own namespace`,
          fix: `put the route in ${home}`,
        };
    }
  },
};

export const referenceGrant: ObjectRule = {
  id: 'reference-grant',
  description: 'every cross-namespace backendRef is allowed by a ReferenceGrant in the backend namespace',
  remediation:
    "render a ReferenceGrant in the backend's namespace (Linkerd ignores it; other implementations enforce it)",
  kinds: ['GRPCRoute', 'HTTPRoute'],
  *check(item, scene) {
    const grants = ofKind(allObjects(scene), 'ReferenceGrant');
    const routeNs = item.object.metadata.namespace;
    for (const [r, rule] of asArray(at(item.object, 'spec', 'rules')).entries())
      for (const [b, ref] of asArray(at(rule, 'backendRefs')).entries()) {
        const target = (at(ref, 'namespace') as string | undefined) ?? routeNs;
        if (target === routeNs) continue;
        const name = at(ref, 'name') as string;
        const allowed = grants.some(
          ({ object }) =>
            object.metadata.namespace === target &&
            asArray(at(object, 'spec', 'from')).some(
              (f) =>
                at(f, 'kind') === item.object.kind &&
                at(f, 'namespace') === routeNs &&
                at(f, 'group') === 'gateway.networking.k8s.io',
            ) &&
            asArray(at(object, 'spec', 'to')).some(
              (t) =>
                at(t, 'kind') === 'Service' &&
                (at(t, 'group') ?? '') === '' &&
                [undefined, name].includes(at(t, 'name') as string | undefined),
            ),
        );
        if (!allowed)
          yield {
            path: `spec.rules[${r}].backendRefs[${b}]`,
            message: `backendRef ${target}/${name} has no ReferenceGrant in ${target} allowing ${item.object.kind}s from ${routeNs}`,
            fix: `render a ReferenceGrant in ${target} (from ${item.object.kind} in ${routeNs}, to Service ${name})`,
          };
      }
  },
};

export const LINKERD_INJECT = 'linkerd.io/inject';

export const meshInjection: SceneRule = {
  id: 'mesh-injection',
  description:
    'every namespace whose pods take part in mesh routing (apps and each canary namespace) carries the linkerd.io/inject: enabled annotation in what Argo CD applies',
  remediation: `render the Namespace with annotation ${LINKERD_INJECT}: enabled`,
  reads: ['Deployment', 'Namespace'],
  *check(scene) {
    const services = new Set(scene.context.catalogue.map((e) => e.name));
    const deployments = ofKind(
      allApplications(scene).flatMap((a) => a.objects),
      'Deployment',
    );
    const namespaces = new Set(
      deployments
        .filter(({ object }) => services.has(object.metadata.name))
        .map(({ object }) => object.metadata.namespace ?? ''),
    );
    for (const name of namespaces) {
      const ns = findObject(scene, 'Namespace', undefined, name);
      if (ns === undefined) {
        const deployment = deployments.find(({ object }) => object.metadata.namespace === name);
        if (deployment !== undefined)
          yield {
            on: deployment,
            path: 'metadata.namespace',
            message: `namespace ${name} is not rendered by any Application: its linkerd.io/inject annotation is not under GitOps, so its pods may run without a proxy (and GRPCRoutes never apply to their calls)`,
            fix: `render Namespace ${name} with annotation ${LINKERD_INJECT}: enabled`,
          };
        continue;
      }
      if (ns.object.metadata.annotations?.[LINKERD_INJECT] === 'enabled') continue;
      const asLabel = ns.object.metadata.labels?.[LINKERD_INJECT] !== undefined;
      yield {
        on: ns,
        path: `metadata.annotations.${LINKERD_INJECT}`,
        message: asLabel
          ? `${LINKERD_INJECT} is a label here; Linkerd reads only the annotation, so pods get no proxy`
          : `no ${LINKERD_INJECT}: enabled annotation: pods get no proxy, calls from them bypass every GRPCRoute (and mTLS)`,
        fix: `set annotation ${LINKERD_INJECT}: enabled`,
      };
    }
  },
};

/** The gRPC metadata key canary routes match (owned by canary-context). */
export const MESH_CANARY_KEY = CANARY_METADATA_KEY;
