import { crdSources, NOT_SERVED, readCrdFiles } from 'upstream-tools';
import { parseAllDocuments } from 'yaml';
import { asArray, at, isK8sObject, type K8sObject } from '../gitops/objects.ts';
import type { KubeApi } from './kube-api.ts';
import { waitFor } from './wait.ts';

/** How long the installed definitions may take to be established and served. */
const ESTABLISH_TIMEOUT_MS = 180_000;

/** A kind whose upstream definitions the module proxy does not serve: installed as a schema-less stand-in. */
interface StandIn {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly from: string;
}

/**
 * Stand-ins accept any spec: the control plane then checks these objects' metadata,
 * namespaces and ownership, while their fields stay checked by verify's static schemas.
 */
export const STAND_INS: readonly StandIn[] = [
  {
    group: 'dynamodb.services.k8s.aws',
    version: 'v1alpha1',
    kind: 'Table',
    plural: 'tables',
    from: NOT_SERVED[0].name,
  },
  {
    group: 'policy.linkerd.io',
    version: 'v1beta3',
    kind: 'Server',
    plural: 'servers',
    from: NOT_SERVED[1].name,
  },
  {
    group: 'policy.linkerd.io',
    version: 'v1alpha1',
    kind: 'AuthorizationPolicy',
    plural: 'authorizationpolicies',
    from: NOT_SERVED[1].name,
  },
  {
    group: 'policy.linkerd.io',
    version: 'v1alpha1',
    kind: 'MeshTLSAuthentication',
    plural: 'meshtlsauthentications',
    from: NOT_SERVED[1].name,
  },
  {
    group: 'policy.linkerd.io',
    version: 'v1alpha1',
    kind: 'NetworkAuthentication',
    plural: 'networkauthentications',
    from: NOT_SERVED[1].name,
  },
];

function standInDefinition(s: StandIn): K8sObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${s.plural}.${s.group}`,
      annotations: { 'canary.verify/stand-in': `${s.from}: not served by the Go module proxy` },
    },
    spec: {
      group: s.group,
      scope: 'Namespaced',
      names: { kind: s.kind, plural: s.plural, singular: s.kind.toLowerCase(), listKind: `${s.kind}List` },
      versions: [
        {
          name: s.version,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  };
}

export interface InstalledCrds {
  /** `name module@version (n definitions)` per source. */
  readonly sources: readonly string[];
  readonly definitions: number;
  readonly standIns: readonly string[];
  readonly seconds: number;
}

/**
 * Installs the upstream CRDs (and the admission policies shipped beside them, such as
 * Gateway API's safe-upgrades ValidatingAdmissionPolicy) read from the module cache, plus
 * the stand-ins, and waits until every definition is Established.
 */
export async function installCrds(
  api: KubeApi,
  go: string,
  progress: (line: string) => void,
): Promise<InstalledCrds> {
  const started = performance.now();
  const files = await readCrdFiles(go);
  const objects: K8sObject[] = [];
  const perSource = new Map<string, number>();
  for (const file of files) {
    for (const doc of parseAllDocuments(file.text)) {
      const value: unknown = doc.toJS();
      if (!isK8sObject(value)) continue;
      objects.push(value);
      const key = `${file.source.name}: ${file.source.module}@${file.source.version}`;
      perSource.set(key, (perSource.get(key) ?? 0) + 1);
    }
  }
  objects.push(...STAND_INS.map(standInDefinition));
  // Definitions before the policies that name them.
  objects.sort(
    (a, b) => Number(b.kind === 'CustomResourceDefinition') - Number(a.kind === 'CustomResourceDefinition'),
  );
  progress(`installing ${objects.length} upstream definitions and policies from the module cache ...`);
  await Promise.all(objects.map((o) => api.apply(o)));
  const definitions = objects.filter((o) => o.kind === 'CustomResourceDefinition');
  // One deadline for both waits: Established, then served by discovery (Established comes
  // first; a lookup in the gap between would read as "no such kind"). About 35 s on two idle
  // cores; a busy machine (a load average of 20 measured) needs more than 60 s.
  const deadline = Date.now() + ESTABLISH_TIMEOUT_MS;
  let pending = definitions.map((o) => o.metadata.name);
  const established = await waitFor(async () => {
    const live = await api.list('apiextensions.k8s.io/v1', 'CustomResourceDefinition');
    const done = new Set(
      live
        .filter((crd) =>
          (asArray(at(crd, 'status', 'conditions')) as Array<{ type: string; status: string }>).some(
            (c) => c.type === 'Established' && c.status === 'True',
          ),
        )
        .map((crd) => String(at(crd, 'metadata', 'name'))),
    );
    pending = pending.filter((name) => !done.has(name));
    return pending.length === 0;
  }, deadline - Date.now());
  if (!established)
    throw new Error(
      `cluster: CRDs not established after ${ESTABLISH_TIMEOUT_MS / 1000} s: ${pending.join(', ')}`,
    );
  let missing = definitions.flatMap((o) => {
    const spec = o.spec as {
      group: string;
      names: { kind: string };
      versions: Array<{ name: string; served: boolean }>;
    };
    return spec.versions
      .filter((v) => v.served)
      .map((v) => ({ apiVersion: `${spec.group}/${v.name}`, kind: spec.names.kind }));
  });
  const served = await waitFor(
    async () => {
      api.forgetDiscovery();
      const still: typeof missing = [];
      for (const k of missing)
        if (!(await api.resources(k.apiVersion).catch(() => new Map())).has(k.kind)) still.push(k);
      missing = still;
      return missing.length === 0;
    },
    Math.max(0, deadline - Date.now()),
  );
  if (!served)
    throw new Error(
      `cluster: CRDs not served after ${ESTABLISH_TIMEOUT_MS / 1000} s: ${missing.map((k) => `${k.kind} ${k.apiVersion}`).join(', ')}`,
    );
  return {
    sources: [...perSource].map(([k, n]) => `${k} (${n})`),
    definitions: definitions.length,
    standIns: STAND_INS.map((s) => `${s.kind}.${s.group} (${s.from})`),
    seconds: (performance.now() - started) / 1000,
  };
}

export { crdSources };
