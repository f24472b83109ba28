import { canaryNamespace, prOfNamespace, type ServiceEntry, STABLE_NAMESPACE } from 'service-catalogue';
import { asArray, at, type K8sObject, type RenderedObject } from '../objects.ts';
import { allObjects, containers, ofKind } from './scene.ts';
import type { ObjectRule, Scene } from './types.ts';

const NAME_LABEL = 'app.kubernetes.io/name';
const SERVICE_LABEL = 'canary.pr-canary.dev/service';
const PR_LABEL = 'canary.pr-canary.dev/pr';
const NAMESPACE_LABEL = 'kubernetes.io/metadata.name';
const LINKERD_IDENTITY = /^([a-z0-9][-a-z0-9.]*)\.([a-z0-9][-a-z0-9]*)\.serviceaccount\.identity\./;

type Labels = Readonly<Record<string, string>>;

/** Whether a label selector (matchLabels and matchExpressions, ANDed) selects these labels. */
function selects(selector: unknown, labels: Labels): boolean {
  if (typeof selector !== 'object' || selector === null) return false;
  const matchLabels = (at(selector, 'matchLabels') ?? {}) as Labels;
  if (Object.entries(matchLabels).some(([k, v]) => labels[k] !== v)) return false;
  return asArray(at(selector, 'matchExpressions')).every((e) => {
    const key = String(at(e, 'key'));
    const values = asArray(at(e, 'values')).map(String);
    switch (at(e, 'operator')) {
      case 'In':
        return labels[key] !== undefined && values.includes(labels[key]);
      case 'NotIn':
        return labels[key] === undefined || !values.includes(labels[key]);
      case 'Exists':
        return labels[key] !== undefined;
      case 'DoesNotExist':
        return labels[key] === undefined;
      default:
        return false;
    }
  });
}

const namespaceOf = (object: K8sObject) => object.metadata.namespace ?? '';
const inNamespace = (items: readonly RenderedObject[], kind: string, ns: string) =>
  ofKind(items, kind).filter(({ object }) => namespaceOf(object) === ns);

/** The catalogue's callers of a service: entries that list it among their downstreams. */
const callersOf = (catalogue: readonly ServiceEntry[], entry: ServiceEntry) =>
  catalogue.filter((c) => c.downstreams.some((d) => d.service === entry.name));

/**
 * The identities (`namespace/serviceaccount`) that may call a mesh service in `ns`: its
 * callers' stable ServiceAccounts in apps, and their PR canaries' (a canary namespace: the
 * same PR's; apps: every PR canary of a caller rendered in the scene).
 */
function expectedIdentities(scene: Scene, callers: readonly ServiceEntry[], ns: string): Set<string> {
  const pr = prOfNamespace(ns);
  const out = new Set<string>();
  for (const caller of callers) {
    out.add(`${STABLE_NAMESPACE}/${caller.name}`);
    const prs =
      pr !== undefined
        ? [pr]
        : scene.canary
            .filter(
              (a) =>
                a.pullRequest !== undefined &&
                a.destinationNamespace === canaryNamespace(caller, a.pullRequest),
            )
            .map((a) => String(a.pullRequest));
    for (const p of prs) out.add(`${canaryNamespace(caller, p)}/${caller.name}`);
  }
  return out;
}

/** What a MeshTLSAuthentication admits, as `namespace/serviceaccount`, or why that is not a list. */
function identitiesOf(auth: K8sObject): { ids: Set<string>; wide: string[] } {
  const ids = new Set<string>();
  const wide: string[] = [];
  for (const id of asArray(at(auth, 'spec', 'identities')).map(String)) {
    const m = LINKERD_IDENTITY.exec(id);
    if (id.startsWith('*') || m === null) wide.push(`identity ${JSON.stringify(id)}`);
    else ids.add(`${m[2]}/${m[1]}`);
  }
  for (const ref of asArray(at(auth, 'spec', 'identityRefs'))) {
    const kind = at(ref, 'kind');
    const name = at(ref, 'name');
    const ns = String(at(ref, 'namespace') ?? namespaceOf(auth));
    if (kind === 'ServiceAccount' && typeof name === 'string' && name !== '*') ids.add(`${ns}/${name}`);
    else wide.push(`${String(kind)} ${ns}/${String(name ?? '*')}`);
  }
  return { ids, wide };
}

/** Whether a Server's or a NetworkPolicy's port (name or number) is the service's. */
const samePort = (port: unknown, service: { name: string | undefined; number: number }) =>
  port === service.number || (service.name !== undefined && port === service.name);

export const meshCallersOnly: ObjectRule = {
  id: 'mesh-callers-only',
  description:
    "every mesh-exposed service admits exactly its catalogue callers, wherever it runs (apps and each canary namespace): a Linkerd Server on its port, AuthorizationPolicies whose MeshTLSAuthentications name the callers' ServiceAccounts (stable, and the PR canaries'), probes off that port, and a NetworkPolicy that lets only those callers reach it",
  remediation:
    "kustomize/<service>/stable/mesh-authorization.yaml and networkpolicy.yaml for apps, kustomize/<service>/canary/ for canaries, a caller's kustomize/<caller>/canary/mesh-authorization.yaml for its PR identity; probes on port health",
  kinds: ['Deployment'],
  *check(deployment, scene) {
    const entry = scene.context.catalogue.find(
      (e) => e.exposure === 'mesh' && e.name === deployment.object.metadata.name,
    );
    if (entry === undefined) return;
    const objects = allObjects(scene);
    const callers = callersOf(scene.context.catalogue, entry);
    const callerNames = new Set(callers.map((c) => c.name));
    const ns = namespaceOf(deployment.object);
    const pr = prOfNamespace(ns);
    const podLabels = (at(deployment.object, 'spec', 'template', 'metadata', 'labels') ?? {}) as Labels;
    const main = containers(deployment.object)[0] ?? {};
    const portName = asArray(at(main, 'ports')).find((p) => at(p, 'containerPort') === entry.port);
    const port = { name: at(portName, 'name') as string | undefined, number: entry.port };
    const show = port.name ?? String(port.number);

    // Linkerd: a Server that claims the port, and who its policies admit.
    const servers = inNamespace(objects, 'Server', ns).filter(
      ({ object }) =>
        selects(at(object, 'spec', 'podSelector'), podLabels) && samePort(at(object, 'spec', 'port'), port),
    );
    if (servers.length === 0)
      yield {
        path: 'spec.template.metadata.labels',
        message: `no Linkerd Server claims port ${show} of ${entry.name} in ${ns}: Linkerd's default inbound policy admits every client, any pod can call it`,
        fix: `render a policy.linkerd.io Server for port ${show} with AuthorizationPolicy and MeshTLSAuthentication (kustomize/${entry.name}/stable and /canary)`,
      };
    for (const server of servers) {
      const access = at(server.object, 'spec', 'accessPolicy') ?? 'deny';
      if (access !== 'deny')
        yield {
          on: server,
          path: 'spec.accessPolicy',
          message: `accessPolicy ${String(access)} admits clients that no AuthorizationPolicy names`,
          fix: 'accessPolicy: deny',
        };
      const admitted = new Set<string>();
      const policies = inNamespace(objects, 'AuthorizationPolicy', ns).filter(({ object }) => {
        const kind = at(object, 'spec', 'targetRef', 'kind');
        const name = at(object, 'spec', 'targetRef', 'name');
        return (
          (kind === 'Server' && name === server.object.metadata.name) || (kind === 'Namespace' && name === ns)
        );
      });
      for (const policy of policies) {
        const refs = asArray(at(policy.object, 'spec', 'requiredAuthenticationRefs'));
        const meshRefs = refs.filter((r) => at(r, 'kind') === 'MeshTLSAuthentication');
        if (refs.length === 0 || meshRefs.length !== refs.length) {
          yield {
            on: policy,
            path: 'spec.requiredAuthenticationRefs',
            message:
              'admits clients without a mesh identity (no MeshTLSAuthentication required): any pod that reaches the port may call',
            fix: 'require exactly one MeshTLSAuthentication naming the callers',
          };
          continue;
        }
        let granted: Set<string> | undefined;
        for (const ref of meshRefs) {
          const auth = inNamespace(objects, 'MeshTLSAuthentication', String(at(ref, 'namespace') ?? ns)).find(
            ({ object }) => object.metadata.name === at(ref, 'name'),
          );
          const { ids, wide } =
            auth === undefined ? { ids: new Set<string>(), wide: [] } : identitiesOf(auth.object);
          for (const w of wide)
            yield {
              on: auth ?? policy,
              path: 'spec',
              message: `admits ${w}: more than the ServiceAccounts of ${entry.name}'s callers (${[...callerNames].join(', ')}); Linkerd has no wildcard inside a label, only whole-label suffixes`,
              fix: 'name each caller by identityRefs (kind ServiceAccount, name, namespace)',
            };
          granted = granted === undefined ? ids : new Set([...granted].filter((i) => ids.has(i)));
        }
        for (const id of granted ?? []) admitted.add(id);
      }
      const expected = expectedIdentities(scene, callers, ns);
      for (const id of expected)
        if (!admitted.has(id))
          yield {
            on: server,
            path: 'metadata.name',
            message: `caller ServiceAccount ${id} is not admitted to ${entry.name} in ${ns}: its calls would be refused`,
            fix: `add it to the MeshTLSAuthentication of an AuthorizationPolicy on Server ${server.object.metadata.name}`,
          };
      for (const id of admitted)
        if (!expected.has(id))
          yield {
            on: server,
            path: 'metadata.name',
            message: `admits ServiceAccount ${id}, which the catalogue does not name as a caller of ${entry.name} (callers: ${[...callerNames].join(', ') || 'none'})`,
            fix: 'admit only the catalogue callers (and their PR canaries)',
          };
      // gRPC probes on the claimed port: Linkerd authorizes the kubelet for HTTP probes only.
      for (const [i, c] of containers(deployment.object).entries())
        for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe'])
          if (at(c, probe, 'grpc') !== undefined && samePort(at(c, probe, 'grpc', 'port'), port))
            yield {
              path: `spec.template.spec.containers[${i}].${probe}`,
              message: `the kubelet's gRPC probe goes to port ${show}, which Server ${server.object.metadata.name} restricts to the callers: Linkerd authorizes HTTP probes by itself, not gRPC ones, so the probe would fail`,
              fix: 'probe a port no Server claims (the store: port health, HEALTH_PORT)',
            };
    }

    // The network: only the callers' pods reach the port.
    const netpols = inNamespace(objects, 'NetworkPolicy', ns).filter(({ object }) => {
      const types = asArray(at(object, 'spec', 'policyTypes'));
      return (
        selects(at(object, 'spec', 'podSelector'), podLabels) &&
        (types.length === 0 || types.includes('Ingress'))
      );
    });
    if (netpols.length === 0)
      yield {
        path: 'spec.template.metadata.labels',
        message: `no NetworkPolicy selects ${entry.name}'s pods in ${ns}: every pod in the cluster reaches port ${show}`,
        fix: `render a NetworkPolicy admitting only ${[...callerNames].join(', ')} to port ${show} (kustomize/${entry.name}/stable and /canary)`,
      };
    const reaching = new Set<string>();
    for (const np of netpols)
      for (const [r, rule] of asArray(at(np.object, 'spec', 'ingress')).entries()) {
        const ports = asArray(at(rule, 'ports'));
        if (
          ports.length > 0 &&
          !ports.some((p) => at(p, 'port') === undefined || samePort(at(p, 'port'), port))
        )
          continue;
        const peers = asArray(at(rule, 'from'));
        if (peers.length === 0)
          yield {
            on: np,
            path: `spec.ingress[${r}]`,
            message: `admits every source to port ${show} of ${entry.name}`,
            fix: `list only ${[...callerNames].join(', ')} pods in from`,
          };
        for (const [p, peer] of peers.entries()) {
          const caller = (at(peer, 'podSelector', 'matchLabels') as Labels | undefined)?.[NAME_LABEL];
          const nsLabels = at(peer, 'namespaceSelector', 'matchLabels') as Labels | undefined;
          const sameNamespace = at(peer, 'namespaceSelector') === undefined;
          const nsOk =
            (sameNamespace && ns === STABLE_NAMESPACE) ||
            nsLabels?.[NAMESPACE_LABEL] === STABLE_NAMESPACE ||
            (nsLabels?.[SERVICE_LABEL] === caller && (pr === undefined || nsLabels?.[PR_LABEL] === pr));
          const exact =
            at(peer, 'ipBlock') === undefined &&
            at(peer, 'podSelector', 'matchExpressions') === undefined &&
            at(peer, 'namespaceSelector', 'matchExpressions') === undefined;
          if (caller !== undefined && callerNames.has(caller) && nsOk && exact) reaching.add(caller);
          else
            yield {
              on: np,
              path: `spec.ingress[${r}].from[${p}]`,
              message: `admits ${JSON.stringify(peer)} to port ${show} of ${entry.name}: only its callers' pods (${[...callerNames].join(', ')}) may reach it, from apps or their canary namespaces${pr === undefined ? '' : ` of PR ${pr}`}`,
              fix: `select the caller's pods (${NAME_LABEL}) in namespaces ${NAMESPACE_LABEL}=apps or ${SERVICE_LABEL}=<caller>${pr === undefined ? '' : `, ${PR_LABEL}=${pr}`}`,
            };
        }
      }
    if (netpols.length > 0)
      for (const caller of callerNames)
        if (!reaching.has(caller))
          yield {
            on: netpols[0] ?? deployment,
            path: 'spec.ingress',
            message: `no NetworkPolicy lets ${caller} reach port ${show} of ${entry.name} in ${ns}: its calls would time out`,
            fix: `admit ${caller}'s pods to port ${show}`,
          };
  },
};
