// Every kustomization the project ships builds with kubectl kustomize.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseObjects } from '../src/gitops/kustomize.ts';
import { kubectlMissing } from './kubectl.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const manifests = join(repoRoot, 'manifests-microservices');

async function kustomizations(): Promise<string[]> {
  const entries = await readdir(manifests, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name === 'kustomization.yaml')
    .map((e) => e.parentPath)
    .sort();
}

describe('kustomizations', { skip: kubectlMissing }, async () => {
  const dirs = kubectlMissing ? [] : await kustomizations();
  it('finds the bases, overlays and Argo CD folders', () => {
    const rel = dirs.map((d) => relative(manifests, d));
    for (const want of [
      'kustomize/api-service/base',
      'kustomize/store-service/overlays/production',
      'kustomize/api-service/overlays/pr',
      'applications/integration-001',
    ]) {
      assert.ok(rel.includes(want), want);
    }
  });
  for (const dir of dirs) {
    const rel = relative(manifests, dir);
    // Components only build as part of a kustomization.
    if (rel.startsWith('components/') || rel.startsWith('applications/projects/')) continue;
    it(`${rel} builds`, async () => {
      const { stdout } = await promisify(execFile)('kubectl', ['kustomize', dir]);
      assert.ok(parseObjects(stdout, rel).length > 0);
    });
  }
});
