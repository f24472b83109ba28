import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { isK8sObject, type RenderedObject } from '../gitops/objects.ts';
import { readPlatformSettings } from '../gitops/verify.ts';

/**
 * What docs/real-cluster.md has a user install before Argo CD syncs anything, as far as
 * the rendered objects depend on it: the namespaces the Makefile creates, the platform's
 * TLS issuers, DynamoDB Local, Argo CD's settings and the PR canaries' image admission
 * (localdev/infrastructure). Read from the repository's own files, so a renamed issuer is
 * caught like any other reference, and a PR Deployment the admission policy refuses is
 * reported like any other refused object.
 */
const FILES = [
  'localdev/infrastructure/cluster-issuer.yaml',
  'localdev/infrastructure/dynamodb-local.yaml',
  'localdev/infrastructure/argocd-config.yaml',
  'localdev/infrastructure/canary-admission.yaml',
] as const;
/**
 * What `make canary-admission` replaces with the platform setting `registry` before it
 * applies canary-admission.yaml.
 */
const REGISTRY_PLACEHOLDER = 'registry.invalid/placeholder';
/** Namespaces the Makefile and Helm installs create (`kubectl create namespace`, chart namespaces). */
export const PLATFORM_NAMESPACES = [
  'argocd',
  'cert-manager',
  'traefik',
  'linkerd',
  'linkerd-cni',
  'monitoring',
  'ack-system',
  'external-secrets',
] as const;
/** Files applied with `-n`: their namespace when the objects name none. */
const FILE_NAMESPACE: Partial<Record<(typeof FILES)[number], string>> = {
  'localdev/infrastructure/argocd-config.yaml': 'argocd',
};

export function prerequisites(root: string): RenderedObject[] {
  const namespaces: RenderedObject[] = PLATFORM_NAMESPACES.map((name) => ({
    object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
    file: 'localdev/Makefile',
  }));
  const registry = readPlatformSettings(root).registry ?? '';
  const fromFiles = FILES.flatMap((file) =>
    parseAllDocuments(readFileSync(join(root, file), 'utf8').replaceAll(REGISTRY_PLACEHOLDER, registry))
      .map((d) => d.toJS() as unknown)
      .filter(isK8sObject)
      .map((object) => {
        const namespace = FILE_NAMESPACE[file];
        if (namespace !== undefined && object.kind !== 'Namespace' && object.metadata.namespace === undefined)
          object.metadata.namespace = namespace;
        return { object, file };
      }),
  );
  const order = (o: RenderedObject) => (o.object.kind === 'Namespace' ? 0 : 1);
  return [...namespaces, ...fromFiles].sort((a, b) => order(a) - order(b));
}
