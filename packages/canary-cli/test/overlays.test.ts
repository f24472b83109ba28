// Every kustomization the project ships builds with kubectl kustomize (components build as
// part of one: the stable and PR Applications add them).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { parseObjects } from '../src/gitops/kustomize.ts';
import { kubectlMissing } from './kubectl.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const manifests = join(repoRoot, 'manifests-microservices');

async function kustomizations(): Promise<Array<{ dir: string; component: boolean }>> {
  const entries = await readdir(manifests, { recursive: true, withFileTypes: true });
  return Promise.all(
    entries
      .filter((e) => e.isFile() && e.name === 'kustomization.yaml')
      .map(async (e) => ({
        dir: e.parentPath,
        component:
          (parse(await readFile(join(e.parentPath, e.name), 'utf8')) as { kind?: string }).kind ===
          'Component',
      })),
  ).then((all) => all.sort((a, b) => a.dir.localeCompare(b.dir)));
}

describe('kustomizations', { skip: kubectlMissing }, async () => {
  const all = kubectlMissing ? [] : await kustomizations();
  it('finds the service folders, the stable and PR layers and the Argo CD folders', () => {
    const rel = all.map((k) => relative(manifests, k.dir));
    for (const want of [
      'kustomize/api-service/base',
      'kustomize/store-service/stable',
      'kustomize/store-service/envs/production',
      'kustomize/api-service/pr',
      'stable',
      'canary',
      'shared',
      'applications/integration-001',
    ]) {
      assert.ok(rel.includes(want), want);
    }
  });
  for (const { dir, component } of all.filter((k) => !k.component)) {
    const rel = relative(manifests, dir);
    it(`${rel} builds`, async () => {
      const { stdout } = await promisify(execFile)('kubectl', ['kustomize', dir]);
      assert.equal(component, false);
      // The stable layer holds no object of its own: a service's component adds them.
      if (rel !== 'stable') assert.ok(parseObjects(stdout, rel).length > 0);
    });
  }
});
