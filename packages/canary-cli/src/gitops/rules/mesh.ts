import { CANARY_METADATA_KEY } from 'canary-context';
import { asArray, at } from '../objects.ts';
import { allApplications, allObjects, findObject, ofKind } from './scene.ts';
import { type Finding, finding, type Rule, type Scene } from './types.ts';

const grpcRoutes = (scene: Scene) => ofKind(allObjects(scene), 'GRPCRoute');

/** Every match of every rule of a GRPCRoute, with its path. */
const matchesOf = (route: { object: import('../objects.ts').K8sObject }) =>
  asArray(at(route.object, 'spec', 'rules')).flatMap((rule, r) =>
    asArray(at(rule, 'matches')).map((match, m) => ({ match, path: `spec.rules[${r}].matches[${m}]` })),
  );

export const grpcRouteMethodMatch: Rule = {
  name: 'grpcroute-method-match',
  description:
    'every GRPCRoute match with headers also matches the gRPC service (older Linkerd rejects header-only matches)',
  check: (scene) =>
    grpcRoutes(scene).flatMap((item) =>
      matchesOf(item).flatMap(({ match, path }) =>
        asArray(at(match, 'headers')).length > 0 && typeof at(match, 'method', 'service') !== 'string'
          ? [
              finding(
                'grpcroute-method-match',
                item,
                path,
                'matches headers only: Linkerd before 2026 rejects the whole route ("invalid client policy")',
                'add method: {type: Exact, service: <the gRPC service>}',
              ),
            ]
          : [],
      ),
    ),
};

export const grpcServiceExists: Rule = {
  name: 'grpc-service-exists',
  description:
    'every GRPCRoute method match names a service (and method) that a .proto of the repository defines',
  check: (scene) =>
    grpcRoutes(scene).flatMap((item) =>
      matchesOf(item).flatMap(({ match, path }) => {
        const service = at(match, 'method', 'service');
        const method = at(match, 'method', 'method');
        if (typeof service !== 'string') return [];
        const methods = scene.context.grpc.get(service);
        if (methods === undefined)
          return [
            finding(
              'grpc-service-exists',
              item,
              `${path}.method.service`,
              `no .proto defines gRPC service ${service}: the rule never matches and traffic silently stays stable`,
              `use one of: ${[...scene.context.grpc.keys()].join(', ') || '(none found)'}`,
            ),
          ];
        if (typeof method === 'string' && !methods.includes(method))
          return [
            finding(
              'grpc-service-exists',
              item,
              `${path}.method.method`,
              `${service} has no method ${method}`,
              `use one of: ${methods.join(', ')}`,
            ),
          ];
        return [];
      }),
    ),
};

export const grpcRouteParent: Rule = {
  name: 'grpcroute-parent',
  description:
    'GRPCRoutes attach to a Service (group "") in that Service\'s own namespace (a producer route, applied to every caller)',
  check: (scene) => {
    const stableHome = (name: string) =>
      scene.stable
        .flatMap((a) => a.objects)
        .find(({ object }) => object.kind === 'Service' && object.metadata.name === name)?.object.metadata
        .namespace;
    return grpcRoutes(scene).flatMap((item) =>
      asArray(at(item.object, 'spec', 'parentRefs')).flatMap((ref, p) => {
        const out: Finding[] = [];
        const path = `spec.parentRefs[${p}]`;
        const name = String(at(ref, 'name'));
        if (at(ref, 'kind') === 'Service' && at(ref, 'group') !== '')
          out.push(
            finding(
              'grpcroute-parent',
              item,
              `${path}.group`,
              `group ${JSON.stringify(at(ref, 'group') ?? null)}: a Service parent's group is "" (core); Linkerd tolerates others, the Gateway API spec does not`,
              'set group: ""',
            ),
          );
        const home = stableHome(name);
        if (home === undefined) {
          out.push(
            finding(
              'grpcroute-parent',
              item,
              `${path}.name`,
              `parent Service ${name} is not rendered in ${scene.name}`,
              'name the stable Service the callers use',
            ),
          );
          return out;
        }
        const routeNs = item.object.metadata.namespace;
        const refNs = (at(ref, 'namespace') as string | undefined) ?? routeNs;
        if (routeNs !== home || refNs !== home)
          out.push(
            finding(
              'grpcroute-parent',
              item,
              'metadata.namespace',
              `route in ${routeNs}, parent Service ${name} in ${home}: a route elsewhere is a consumer route and applies only to callers in its own namespace`,
              `put the route in ${home}`,
            ),
          );
        return out;
      }),
    );
  },
};

export const referenceGrant: Rule = {
  name: 'reference-grant',
  description: 'every cross-namespace backendRef is allowed by a ReferenceGrant in the backend namespace',
  check: (scene) => {
    const grants = ofKind(allObjects(scene), 'ReferenceGrant');
    return allObjects(scene)
      .filter(({ object }) => object.kind === 'GRPCRoute' || object.kind === 'HTTPRoute')
      .flatMap((item) => {
        const routeNs = item.object.metadata.namespace;
        return asArray(at(item.object, 'spec', 'rules')).flatMap((rule, r) =>
          asArray(at(rule, 'backendRefs')).flatMap((ref, b) => {
            const target = (at(ref, 'namespace') as string | undefined) ?? routeNs;
            if (target === routeNs) return [];
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
            return allowed
              ? []
              : [
                  finding(
                    'reference-grant',
                    item,
                    `spec.rules[${r}].backendRefs[${b}]`,
                    `backendRef ${target}/${name} has no ReferenceGrant in ${target} allowing ${item.object.kind}s from ${routeNs}`,
                    `render a ReferenceGrant in ${target} (from ${item.object.kind} in ${routeNs}, to Service ${name})`,
                  ),
                ];
          }),
        );
      });
  },
};

export const LINKERD_INJECT = 'linkerd.io/inject';

export const meshInjection: Rule = {
  name: 'mesh-injection',
  description:
    'every namespace whose pods take part in mesh routing (apps and each canary namespace) carries the linkerd.io/inject: enabled annotation in what Argo CD applies',
  check: (scene) => {
    const services = new Set(scene.context.catalogue.map((e) => e.name));
    const namespaces = new Set(
      allApplications(scene)
        .flatMap((a) => a.objects)
        .filter(({ object }) => object.kind === 'Deployment' && services.has(object.metadata.name))
        .map(({ object }) => object.metadata.namespace ?? ''),
    );
    return [...namespaces].flatMap((name) => {
      const ns = findObject(scene, 'Namespace', undefined, name);
      if (ns === undefined) {
        const deployment = allApplications(scene)
          .flatMap((a) => a.objects)
          .find(({ object }) => object.kind === 'Deployment' && object.metadata.namespace === name);
        return deployment === undefined
          ? []
          : [
              finding(
                'mesh-injection',
                deployment,
                'metadata.namespace',
                `namespace ${name} is not rendered by any Application: its linkerd.io/inject annotation is not under GitOps, so its pods may run without a proxy (and GRPCRoutes never apply to their calls)`,
                `render Namespace ${name} with annotation ${LINKERD_INJECT}: enabled`,
              ),
            ];
      }
      if (ns.object.metadata.annotations?.[LINKERD_INJECT] === 'enabled') return [];
      const asLabel = ns.object.metadata.labels?.[LINKERD_INJECT] !== undefined;
      return [
        finding(
          'mesh-injection',
          ns,
          `metadata.annotations.${LINKERD_INJECT}`,
          asLabel
            ? `${LINKERD_INJECT} is a label here; Linkerd reads only the annotation, so pods get no proxy`
            : `no ${LINKERD_INJECT}: enabled annotation: pods get no proxy, calls from them bypass every GRPCRoute (and mTLS)`,
          `set annotation ${LINKERD_INJECT}: enabled`,
        ),
      ];
    });
  },
};

/** The gRPC metadata key canary routes match (owned by canary-context). */
export const MESH_CANARY_KEY = CANARY_METADATA_KEY;
