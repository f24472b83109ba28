// Argo CD counts an object of a kind it has no health check for as healthy once applied, so
// a sync wave of ACK objects (tables, Pod Identity associations) would not hold back the
// pods of the next wave. Every ACK kind the manifests use needs a health check in the Argo
// CD settings localdev installs, and that check must wait for ACK's ResourceSynced condition.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from 'local-runtime/paths';
import { parseAllDocuments } from 'yaml';

const walk = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.yaml') ? [join(dir, e.name)] : [],
  );

describe('Argo CD health checks for ACK kinds', () => {
  const kinds = new Set<string>();
  for (const file of walk(join(repoRoot, 'manifests-microservices')))
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      const object = doc.toJS() as { apiVersion?: unknown; kind?: unknown } | null;
      const group = String(object?.apiVersion ?? '').split('/')[0] ?? '';
      if (group.endsWith('.services.k8s.aws')) kinds.add(`${group}_${String(object?.kind)}`);
    }
  const settings = parseAllDocuments(
    readFileSync(join(repoRoot, 'localdev/infrastructure/argocd-config.yaml'), 'utf8'),
  )
    .map((d) => d.toJS() as { metadata?: { name?: string }; data?: Record<string, string> })
    .find((o) => o.metadata?.name === 'argocd-cm');

  it('the manifests use ACK kinds (tables, Pod Identity associations)', () => {
    assert.deepEqual([...kinds].sort(), [
      'dynamodb.services.k8s.aws_Table',
      'eks.services.k8s.aws_PodIdentityAssociation',
    ]);
  });

  it('each has a health check that waits for ACK.ResourceSynced and reports ACK.Terminal', () => {
    for (const kind of kinds) {
      const check = settings?.data?.[`resource.customizations.health.${kind}`];
      assert.ok(check !== undefined, `argocd-cm has no health check for ${kind}`);
      assert.match(check, /ACK\.ResourceSynced/);
      assert.match(check, /ACK\.Terminal/);
      assert.match(check, /status = "Progressing"/, 'not healthy until synced');
    }
  });
});
