// The AWS modes of the platform (aws-identity irsa and pod-identity) render and pass every
// rule, as dynamodb-local does in the committed settings: ACK owns the environment's table
// (retained, never pruned or deleted by Argo CD) and an isolated PR's (deleted with the PR,
// not pruned while the PR is open), Pod Identity associations name their environment's
// cluster, and the pod templates carry the table so a label change rolls the pods.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { at } from '../src/gitops/objects.ts';
import { runRules } from '../src/gitops/rules/index.ts';
import { allObjects } from '../src/gitops/rules/scene.ts';
import type { Scene } from '../src/gitops/rules/types.ts';
import { buildScenes } from '../src/gitops/verify.ts';
import { kubectlMissing } from './kubectl.ts';
import { copyTree } from './tree.ts';

const PLATFORM = 'manifests-microservices/platform/platform.yaml';

async function scenesWith(root: string, identity: string): Promise<Scene[]> {
  const file = join(root, PLATFORM);
  const text = await readFile(file, 'utf8');
  await writeFile(file, text.replace(/^ {2}aws-identity: .*$/m, `  aws-identity: ${identity}`));
  return buildScenes(root);
}

const objects = (scene: Scene | undefined, kind: string) =>
  scene === undefined ? [] : allObjects(scene).filter(({ object }) => object.kind === kind);

describe('aws-identity irsa and pod-identity', { skip: kubectlMissing }, () => {
  const dirs: string[] = [];
  const scenes: Record<string, Scene[]> = {};
  before(async () => {
    for (const identity of ['irsa', 'pod-identity']) {
      const dir = await mkdtemp(join(tmpdir(), `aws-${identity}-`));
      dirs.push(dir);
      await copyTree(dir);
      scenes[identity] = await scenesWith(dir, identity);
    }
  });
  after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('both pass every rule', () => {
    for (const identity of ['irsa', 'pod-identity'])
      assert.deepEqual(runRules(scenes[identity] ?? []), [], identity);
  });

  it("ACK owns each environment's table in apps: retained, never pruned or deleted by Argo CD", () => {
    for (const scene of scenes.irsa ?? []) {
      const tables = objects(scene, 'Table').filter(({ object }) => object.metadata.namespace === 'apps');
      assert.deepEqual(
        tables.map(({ object }) => `${object.metadata.name} ${String(at(object, 'spec', 'tableName'))}`),
        [`store-items-${scene.name} store-items-${scene.name}`],
        scene.name,
      );
      const annotations = tables[0]?.object.metadata.annotations ?? {};
      assert.equal(annotations['services.k8s.aws/deletion-policy'], 'retain');
      assert.equal(annotations['argocd.argoproj.io/sync-options'], 'Prune=false,Delete=false');
      assert.equal(annotations['argocd.argoproj.io/sync-wave'], '-1', 'before the Deployment');
    }
  });

  it("an isolated PR's table is deleted with the PR and not pruned under its pods; the pods carry its name", () => {
    const integration = scenes.irsa?.find((s) => s.name === 'integration-001');
    const pr = objects(integration, 'Table').filter(({ object }) => object.metadata.namespace !== 'apps');
    assert.deepEqual(
      pr.map(({ object }) => `${object.metadata.namespace} ${String(at(object, 'spec', 'tableName'))}`),
      ['store-canary-pr-42 store-items-pr-42'],
    );
    assert.equal(pr[0]?.object.metadata.annotations?.['services.k8s.aws/deletion-policy'], 'delete');
    assert.equal(pr[0]?.object.metadata.annotations?.['argocd.argoproj.io/sync-options'], 'Prune=false');
    const deployment = objects(integration, 'Deployment').find(
      ({ object }) => object.metadata.namespace === 'store-canary-pr-42',
    );
    assert.equal(
      at(
        deployment?.object,
        'spec',
        'template',
        'metadata',
        'annotations',
        'config.pr-canary.dev/env.TABLE_NAME',
      ),
      'store-items-pr-42',
    );
  });

  it('a misspelt field of an ACK Table is a schema finding on the component that defines it', () => {
    const scene = structuredClone(scenes.irsa?.find((s) => s.name === 'integration-001')) as Scene;
    const table = objects(scene, 'Table').find(
      ({ object }) => object.metadata.namespace === 'store-canary-pr-42',
    );
    assert.ok(table);
    (at(table.object, 'spec') as Record<string, unknown>).billingmode = 'PAY_PER_REQUEST';
    const findings = runRules([scene]).filter((f) => f.rule === 'schema');
    assert.equal(findings.length, 1, JSON.stringify(findings));
    assert.equal(findings[0]?.object, 'Table store-canary-pr-42/data');
    assert.equal(findings[0]?.file, 'manifests-microservices/components/data-table/table.yaml');
    assert.match(findings[0]?.message ?? '', /unknown field "billingmode"/);
  });

  it("Pod Identity associations name their environment's cluster", () => {
    for (const scene of scenes['pod-identity'] ?? []) {
      const clusters = new Set(
        objects(scene, 'PodIdentityAssociation').map(({ object }) =>
          String(at(object, 'spec', 'clusterName')),
        ),
      );
      const want = scene.name === 'integration-001' ? 'pr-canary-integration' : `pr-canary-${scene.name}`;
      assert.deepEqual([...clusters], [want], scene.name);
    }
  });
});
