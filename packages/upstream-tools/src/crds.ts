import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { moduleDir } from './go.ts';
import { REPO_ROOT } from './tools.ts';

/**
 * Where the upstream CustomResourceDefinitions come from: the projects' own Go modules,
 * read from the module cache at run time (nothing is copied into this repository).
 * `pin` names the localdev/versions.env key the version follows; where the proxy does not
 * serve the pinned version, `version` is the nearest served one and `note` says so.
 */
export interface CrdSource {
  readonly name: string;
  readonly module: string;
  readonly version: string;
  /** Folder inside the module, and which of its files hold the definitions. */
  readonly dir: string;
  readonly files: RegExp;
  readonly pin: string;
  readonly note?: string;
}

/** Reads KEY=value lines of localdev/versions.env (the one place upstream versions are pinned). */
export function platformVersions(root: string = REPO_ROOT): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(join(root, 'localdev', 'versions.env'), 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] !== undefined && m[2] !== undefined) out[m[1]] = m[2];
  }
  return out;
}

export function crdSources(versions: Record<string, string> = platformVersions()): CrdSource[] {
  const need = (key: string): string => {
    const v = versions[key];
    if (v === undefined) throw new Error(`localdev/versions.env has no ${key}`);
    return v;
  };
  return [
    {
      name: 'Gateway API (standard channel, with its safe-upgrades ValidatingAdmissionPolicy)',
      module: 'sigs.k8s.io/gateway-api',
      version: need('GATEWAY_API_VERSION'),
      dir: 'config/crd/standard',
      files: /\.yaml$/,
      pin: 'GATEWAY_API_VERSION',
    },
    {
      name: 'Argo CD',
      module: 'github.com/argoproj/argo-cd/v3',
      version: need('ARGOCD_VERSION'),
      dir: 'manifests/crds',
      files: /-crd\.yaml$/,
      pin: 'ARGOCD_VERSION',
    },
    {
      name: 'Traefik',
      module: 'github.com/traefik/traefik/v3',
      version: need('TRAEFIK_CRDS_VERSION'),
      dir: 'docs/content/reference/dynamic-configuration',
      files: /^kubernetes-crd-definition-v1\.yml$/,
      pin: 'TRAEFIK_CRDS_VERSION',
      note: 'the chart 37.2.0 ships Traefik v3.5; the module proxy serves v3.6.12 and v3.7.x of github.com/traefik/traefik/v3, so the nearest served release is used',
    },
    {
      name: 'Prometheus Operator',
      module: 'github.com/prometheus-operator/prometheus-operator',
      version: need('PROMETHEUS_OPERATOR_CRDS_VERSION'),
      dir: 'example/prometheus-operator-crd',
      files: /\.yaml$/,
      pin: 'PROMETHEUS_OPERATOR_CRDS_VERSION',
      note: 'the only release of the root module the proxy serves',
    },
    {
      name: 'cert-manager',
      module: 'github.com/cert-manager/cert-manager',
      version: need('CERT_MANAGER_CRDS_VERSION'),
      dir: 'deploy/crds',
      files: /\.yaml$/,
      pin: 'CERT_MANAGER_CRDS_VERSION',
      note: `CERT_MANAGER_VERSION ${versions.CERT_MANAGER_VERSION ?? '?'} is not served by the module proxy (v1.21.x is)`,
    },
    {
      name: 'External Secrets',
      module: 'github.com/external-secrets/external-secrets',
      version: need('EXTERNAL_SECRETS_CRDS_VERSION'),
      dir: 'config/crds/bases',
      files: /^external-secrets\.io_.*\.yaml$/,
      pin: 'EXTERNAL_SECRETS_CRDS_VERSION',
      note: `the chart ${versions.EXTERNAL_SECRETS_CHART_VERSION ?? '?'} is not served as a module; v0.16.2 is the nearest served release`,
    },
  ];
}

/** Kinds whose upstream module the proxy does not serve: the control plane gets a stand-in. */
export const NOT_SERVED = [
  {
    name: 'ACK DynamoDB controller',
    module: 'github.com/aws-controllers-k8s/dynamodb-controller',
    why: 'not served by the Go module proxy',
  },
  {
    name: 'Linkerd (policy.linkerd.io)',
    module: 'github.com/linkerd/linkerd2',
    why: 'not served by the Go module proxy',
  },
] as const;

export interface CrdFile {
  readonly source: CrdSource;
  readonly path: string;
  readonly text: string;
}

/** Every definition file of every source, from the module cache (downloaded on first use). */
export async function readCrdFiles(
  go: string,
  sources: readonly CrdSource[] = crdSources(),
): Promise<CrdFile[]> {
  const out: CrdFile[] = [];
  for (const source of sources) {
    const dir = join(await moduleDir(go, source.module, source.version), source.dir);
    for (const file of readdirSync(dir).sort()) {
      if (!source.files.test(file)) continue;
      const path = join(dir, file);
      out.push({ source, path, text: readFileSync(path, 'utf8') });
    }
  }
  return out;
}
