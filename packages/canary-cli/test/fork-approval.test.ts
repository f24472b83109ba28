// A PR from a fork (label canary:fork, pr-fork-guard) deploys only the commit a maintainer
// approved by its full sha (label canary@<sha>, pr-canary-approve): the PR ApplicationSet
// renders any other head held (its workload Application never syncs by itself), so a push
// landing between a review and a workflow never deploys. PRs of this repository are not
// affected. Argo CD's timing cannot be observed here; what it is given can.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { renderString } from '../src/gitops/go-template.ts';
import { at } from '../src/gitops/objects.ts';
import { type EnvironmentRender, renderEnvironment, renderPullRequest } from '../src/gitops/render.ts';
import { runRules } from '../src/gitops/rules/index.ts';
import { buildScenes } from '../src/gitops/verify.ts';
import { kubectlMissing } from './kubectl.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const HEAD = 'c0ffee0011223344556677889900aabbccddeeff';
const OLDER = 'a'.repeat(40);

describe('fork PRs deploy only an approved head', { skip: kubectlMissing }, () => {
  let integration: EnvironmentRender;
  before(async () => {
    integration = await renderEnvironment(repoRoot, 'integration-001');
  });

  const workload = async (labels: string[]) => {
    const [app] = await renderPullRequest(repoRoot, integration, {
      number: 77,
      headSha: HEAD,
      labels: ['canary:store-service', ...labels],
      branch: 'patch-1',
    });
    const child = app?.children[0];
    assert.ok(child, 'a workload Application');
    return child.application;
  };
  const automated = (app: unknown) => at(app, 'spec', 'syncPolicy', 'automated', 'enabled') !== false;

  it('a PR of this repository syncs its head', async () => {
    assert.equal(automated(await workload([])), true);
  });

  it('a fork PR syncs only when its head carries the approval, by full sha', async () => {
    assert.equal(automated(await workload(['canary:fork', `canary@${HEAD}`])), true);
    for (const labels of [
      ['canary:fork'],
      ['canary:fork', `canary@${OLDER}`], // approved before the last push
      ['canary:fork', `canary@${HEAD.slice(0, 8)}`], // a short sha is no approval (a prefix can be ground)
    ]) {
      const app = await workload(labels);
      assert.equal(automated(app), false, labels.join(','));
      assert.match(String(at(app, 'metadata', 'annotations', 'config.pr-canary.dev/held')), /not approved/);
      // Still rendered (so closing the PR deletes what the approved commit deployed).
      assert.equal(at(app, 'spec', 'source', 'targetRevision'), HEAD);
    }
  });

  it('held or not, every rule still passes (the finalizer and prune stay)', async () => {
    const scenes = await buildScenes(repoRoot);
    const scene = scenes.find((s) => s.name === 'integration-001');
    assert.ok(scene);
    const [held] = await renderPullRequest(repoRoot, integration, {
      number: 77,
      headSha: HEAD,
      labels: ['canary:store-service', 'canary:fork'],
      branch: 'patch-1',
    });
    assert.ok(held);
    const withHeld = {
      ...scene,
      canary: [...scene.canary, held],
      pullRequests: [
        ...scene.pullRequests,
        { number: 77, headSha: HEAD, labels: ['canary:store-service', 'canary:fork'], branch: 'patch-1' },
      ],
    };
    assert.deepEqual(runRules([withHeld]), []);
  });

  it("the template's printf condition is Go's: one %s, the needle built from the parameter", () => {
    const t = '{{ if has (printf "canary@%s" .sha) .labels }}yes{{ else }}no{{ end }}';
    assert.equal(renderString(t, { sha: 'abc', labels: ['canary@abc'] }), 'yes');
    assert.equal(renderString(t, { sha: 'abd', labels: ['canary@abc'] }), 'no');
    assert.throws(
      () => renderString('{{ if has (printf "%s%s" .sha) .labels }}y{{ end }}', { sha: 'a', labels: [] }),
      /exactly one %s/,
    );
  });
});
