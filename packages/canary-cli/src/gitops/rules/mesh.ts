import { grantAllows, LINKERD_INJECT, readGatewayRoute, readReferenceGrant } from 'routing-model/mesh';
import type { RenderedObject } from '../objects.ts';
import { allApplications, allObjects, findObject, ofKind } from './scene.ts';
import type { ObjectRule, SceneRule } from './types.ts';

/** Every match of every rule of a GRPCRoute (typed, routing-model). */
const matchesOf = (item: RenderedObject) =>
  readGatewayRoute(item.object).rules.flatMap((rule) => rule.matches);

export const grpcRouteMethodMatch: ObjectRule = {
  id: 'grpcroute-method-match',
  description:
    'every GRPCRoute match with headers also matches the gRPC service (older Linkerd rejects header-only matches)',
  remediation: 'add method: {type: Exact, service: <the gRPC service>}',
  kinds: ['GRPCRoute'],
  check: (item) =>
    matchesOf(item)
      .filter((match) => match.headers.length > 0 && match.method?.service === undefined)
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
    for (const { method, path } of matchesOf(item)) {
      const service = method?.service;
      if (service === undefined) continue;
      const methods = scene.context.grpc.get(service);
      if (methods === undefined)
        yield {
          path: `${path}.method.service`,
          message: `no .proto defines gRPC service ${service}: the rule never matches and traffic silently stays stable`,
          fix: `use one of: ${[...scene.context.grpc.keys()].join(', ') || '(none found)'}`,
        };
      else if (method?.method !== undefined && !methods.includes(method.method))
        yield {
          path: `${path}.method.method`,
          message: `${service} has no method ${method.method}`,
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
    const route = readGatewayRoute(item.object);
    for (const parent of route.parents) {
      if (parent.kind === 'Service' && parent.group !== '')
        yield {
          path: `${parent.path}.group`,
          message: `group ${JSON.stringify(parent.group ?? null)}: a Service parent's group is "" (core); Linkerd tolerates others, the Gateway API spec does not`,
          fix: 'set group: ""',
        };
      const home = stableHome(parent.name);
      if (home === undefined) {
        yield {
          path: `${parent.path}.name`,
          message: `parent Service ${parent.name} is not rendered in ${scene.name}`,
          fix: 'name the stable Service the callers use',
        };
        continue;
      }
      if (route.namespace !== home || parent.namespace !== home)
        yield {
          path: 'metadata.namespace',
          message: `route in ${route.namespace}, parent Service ${parent.name} in ${home}: a route elsewhere is a consumer route and applies only to callers in its own namespace`,
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
    const grants = ofKind(allObjects(scene), 'ReferenceGrant').map(({ object }) =>
      readReferenceGrant(object),
    );
    const route = readGatewayRoute(item.object);
    for (const rule of route.rules)
      for (const backend of rule.backendRefs) {
        if (grantAllows(grants, route, backend)) continue;
        yield {
          path: backend.path,
          message: `backendRef ${backend.namespace}/${backend.name} has no ReferenceGrant in ${backend.namespace} allowing ${route.kind}s from ${route.namespace}`,
          fix: `render a ReferenceGrant in ${backend.namespace} (from ${route.kind} in ${route.namespace}, to Service ${backend.name})`,
        };
      }
  },
};

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
