import { asArray, at, type RenderedObject } from '../gitops/objects.ts';
import type { Finding } from '../gitops/rules/types.ts';
import { type KubeApi, KubeError } from './kube-api.ts';
import { CLUSTER_RULES, clusterFinding } from './sync.ts';

export interface Reference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace: string | undefined;
  readonly where: string;
  /** Who acts on a broken reference, and how (for the message). */
  readonly consequence: string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The objects another object names, per kind the platform renders. */
export function referencesOf(item: RenderedObject): Reference[] {
  const o = item.object;
  const ns = o.metadata.namespace;
  const refs: Reference[] = [];
  switch (o.kind) {
    case 'IngressRoute':
      for (const [r, route] of asArray(at(o, 'spec', 'routes')).entries()) {
        for (const [i, m] of asArray(at(route, 'middlewares')).entries())
          refs.push({
            apiVersion: 'traefik.io/v1alpha1',
            kind: 'Middleware',
            name: String(at(m, 'name')),
            namespace: str(at(m, 'namespace')) ?? ns,
            where: `spec.routes[${r}].middlewares[${i}]`,
            consequence:
              'Traefik drops the whole router, so its requests fall through to the next router by priority',
          });
        for (const [i, svc] of asArray(at(route, 'services')).entries()) {
          const kind = str(at(svc, 'kind')) ?? 'Service';
          refs.push({
            apiVersion: kind === 'TraefikService' ? 'traefik.io/v1alpha1' : 'v1',
            kind,
            name: String(at(svc, 'name')),
            namespace: str(at(svc, 'namespace')) ?? ns,
            where: `spec.routes[${r}].services[${i}]`,
            consequence: 'Traefik drops the router',
          });
        }
      }
      break;
    case 'Middleware':
      for (const [i, m] of asArray(at(o, 'spec', 'chain', 'middlewares')).entries())
        refs.push({
          apiVersion: 'traefik.io/v1alpha1',
          kind: 'Middleware',
          name: String(at(m, 'name')),
          namespace: str(at(m, 'namespace')) ?? ns,
          where: `spec.chain.middlewares[${i}]`,
          consequence: 'Traefik drops every router that uses the chain',
        });
      break;
    case 'Certificate': {
      const kind = str(at(o, 'spec', 'issuerRef', 'kind')) ?? 'Issuer';
      refs.push({
        apiVersion: 'cert-manager.io/v1',
        kind,
        name: String(at(o, 'spec', 'issuerRef', 'name')),
        namespace: kind === 'ClusterIssuer' ? undefined : ns,
        where: 'spec.issuerRef',
        consequence: 'cert-manager never issues it, so the TLS secret never exists',
      });
      break;
    }
    case 'GRPCRoute':
    case 'HTTPRoute':
      for (const [i, p] of asArray(at(o, 'spec', 'parentRefs')).entries()) {
        if ((str(at(p, 'kind')) ?? 'Gateway') !== 'Service') continue;
        refs.push({
          apiVersion: 'v1',
          kind: 'Service',
          name: String(at(p, 'name')),
          namespace: str(at(p, 'namespace')) ?? ns,
          where: `spec.parentRefs[${i}]`,
          consequence: 'the mesh attaches the route to nothing',
        });
      }
      for (const [r, rule] of asArray(at(o, 'spec', 'rules')).entries())
        for (const [i, b] of asArray(at(rule, 'backendRefs')).entries())
          refs.push({
            apiVersion: 'v1',
            kind: str(at(b, 'kind')) ?? 'Service',
            name: String(at(b, 'name')),
            namespace: str(at(b, 'namespace')) ?? ns,
            where: `spec.rules[${r}].backendRefs[${i}]`,
            consequence: 'Linkerd does not fall back: requests this rule matches fail',
          });
      break;
    case 'HorizontalPodAutoscaler':
      refs.push({
        apiVersion: String(at(o, 'spec', 'scaleTargetRef', 'apiVersion') ?? 'apps/v1'),
        kind: String(at(o, 'spec', 'scaleTargetRef', 'kind')),
        name: String(at(o, 'spec', 'scaleTargetRef', 'name')),
        namespace: ns,
        where: 'spec.scaleTargetRef',
        consequence: 'the autoscaler scales nothing and Argo CD shows it Degraded',
      });
      break;
    default:
      break;
  }
  return refs;
}

const selects = (selector: Record<string, string>, labels: Record<string, string> | undefined): boolean =>
  Object.entries(selector).every(([k, v]) => labels?.[k] === v);

/** Whether a reference resolves in the live cluster (a kind it does not serve resolves nowhere). */
export async function resolves(api: KubeApi, ref: Reference): Promise<boolean> {
  const live = await api.get(ref.apiVersion, ref.kind, ref.name, ref.namespace).catch((err: Error) => {
    // A kind the cluster does not serve cannot be there either; any other error is the tool's.
    if (err instanceof KubeError && err.reason === 'NoKindMatch') return undefined;
    throw err;
  });
  return live !== undefined;
}

/** A finding for a reference that does not resolve; `where` says where it was looked for. */
export const unresolved = (item: RenderedObject, ref: Reference, where: string, fix: string): Finding =>
  clusterFinding(
    CLUSTER_RULES.reference,
    item,
    `${ref.where} names ${ref.kind} ${ref.namespace === undefined ? '' : `${ref.namespace}/`}${ref.name}, which ${where}: ${ref.consequence}`,
    fix,
  );

/**
 * Every reference among the applied objects that does not resolve against the live
 * cluster, plus Services whose selector matches none of the pods the controllers made.
 */
export async function checkReferences(api: KubeApi, applied: readonly RenderedObject[]): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const item of applied)
    for (const ref of referencesOf(item))
      if (!(await resolves(api, ref)))
        findings.push(
          unresolved(item, ref, 'does not exist', 'fix the name or namespace, or render the object it names'),
        );
  const podsByNamespace = new Map<string, Array<Record<string, string> | undefined>>();
  for (const item of applied.filter((i) => i.object.kind === 'Service')) {
    const selector = at(item.object, 'spec', 'selector') as Record<string, string> | undefined;
    const ns = item.object.metadata.namespace ?? 'default';
    if (selector === undefined || Object.keys(selector).length === 0) continue;
    if (!podsByNamespace.has(ns))
      podsByNamespace.set(
        ns,
        (await api.list('v1', 'Pod', ns)).map(
          (p) => at(p, 'metadata', 'labels') as Record<string, string> | undefined,
        ),
      );
    const workloads = applied.some(
      (i) => i.object.kind === 'Deployment' && i.object.metadata.namespace === ns,
    );
    if (!workloads) continue;
    if ((podsByNamespace.get(ns) ?? []).some((labels) => selects(selector, labels))) continue;
    findings.push(
      clusterFinding(
        CLUSTER_RULES.reference,
        item,
        `spec.selector ${JSON.stringify(selector)} matches none of the pods the controllers created in ${ns}: the Service would have no endpoints`,
        "make the selector match the Deployment's pod template labels",
      ),
    );
  }
  return findings;
}
