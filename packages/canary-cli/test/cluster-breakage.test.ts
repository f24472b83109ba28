// The cluster layer of `canary verify`: the unmodified tree passes a real control plane
// (kube-apiserver, kube-controller-manager and etcd built from their Go modules), and every
// breakage in cluster-mutations.ts passes the static rules but is refused by the cluster.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { waitFor } from 'test-harness/wait';
import { findGo, goSkipReason } from 'upstream-tools';
import {
  type ApplicationSetReport,
  NO_CANARY_PULL,
  verifyApplicationSets,
} from '../src/cluster/applicationsets.ts';
import { type ControlPlane, startControlPlane } from '../src/cluster/control-plane.ts';
import { installCrds } from '../src/cluster/crds.ts';
import { type DryRunReport, dryRunScene } from '../src/cluster/dry-run.ts';
import { KubeApi } from '../src/cluster/kube-api.ts';
import { prerequisites } from '../src/cluster/prerequisites.ts';
import { CLUSTER_RULE_DESCRIPTIONS, CLUSTER_RULES } from '../src/cluster/sync.ts';
import { createTestHosts, type TestHosts, testHostsUnavailableReason } from '../src/cluster/test-hosts.ts';
import { type RunningTraefik, startTraefik } from '../src/cluster/traefik.ts';
import { verifyScenesInCluster } from '../src/cluster/verify-cluster.ts';
import { CANARY_ENVIRONMENT } from '../src/gitops/render.ts';
import type { Finding, Scene } from '../src/gitops/rules/types.ts';
import { verifyRepository } from '../src/gitops/verify.ts';
import { CLUSTER_MUTATIONS } from './cluster-mutations.ts';
import { kubectlMissing } from './kubectl.ts';
import { apply, copyTree, pool } from './tree.ts';

const goMissing = await goSkipReason();
// The real-Traefik checks need a network namespace (root); CI runs as root, so there they always run.
const edgeMissing = process.env.CI === 'true' ? false : ((await testHostsUnavailableReason()) ?? false);
const EDGE_RULES: readonly string[] = [CLUSTER_RULES.edge, CLUSTER_RULES.edgeRouter];
const show = (findings: readonly Finding[]) =>
  findings.map((f) => `[${f.rule}] ${f.object} ${f.path}: ${f.message}`).join('\n') || 'nothing';

describe('canary verify --cluster: a real control plane', { skip: kubectlMissing || goMissing }, () => {
  let workDir: string;
  let plane: ControlPlane;
  let api: KubeApi;
  let pristine: { static: Finding[]; cluster: Finding[] };
  let dryRuns: Record<string, DryRunReport>;
  let applicationSets: Record<'agree' | 'skewed', ApplicationSetReport>;
  let outcomes: Array<{ static: Finding[]; cluster: Finding[] } | { error: string }>;
  let edge: { traefik: RunningTraefik; hosts: TestHosts } | undefined;

  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'verify-cluster-'));
    const progress = (line: string) => process.stderr.write(`# cluster: ${line}\n`);
    plane = await startControlPlane({ dir: join(workDir, 'plane'), progress });
    const config = new KubeConfig();
    config.loadFromFile(plane.kubeconfig);
    api = new KubeApi(config);
    await installCrds(api, await findGo(), progress);
    if (edgeMissing === false)
      edge = {
        hosts: await createTestHosts(7),
        traefik: await startTraefik({ kubeconfig: plane.kubeconfig, dir: workDir, progress }),
      };
    const withEdge = edge === undefined ? {} : { edge };

    const clean = join(workDir, 'clean');
    await copyTree(clean);
    const report = await verifyRepository(clean);
    pristine = {
      static: [...report.findings],
      cluster: (await verifyScenesInCluster(clean, report.scenes, api, progress, withEdge)).findings,
    };
    // verify --kubeconfig against the same control plane, which now holds integration-001's
    // stable Applications: the clean tree, then a broken one, in both namespace modes.
    const canaryScene = (scenes: readonly Scene[]) =>
      scenes.filter((s) => s.name === CANARY_ENVIRONMENT)[0] as Scene;
    const quiet = () => {};
    dryRuns = {
      clean: await dryRunScene(api, canaryScene(report.scenes), { throwaway: false, progress: quiet }),
      cleanThrowaway: await dryRunScene(api, canaryScene(report.scenes), {
        throwaway: true,
        progress: quiet,
      }),
    };
    const broken = join(workDir, 'broken-account');
    await copyTree(broken);
    await apply(broken, {
      name: 'a ServiceAccount name the namespace does not have',
      rule: 'cluster-pods',
      edits: [
        {
          find: '      serviceAccountName: store-service',
          replace: '      serviceAccountName: store-svc',
          within: 'store-service/base/deployment.yaml',
        },
      ],
    });
    const brokenScene = canaryScene((await verifyRepository(broken)).scenes);
    dryRuns.broken = await dryRunScene(api, brokenScene, { throwaway: true, progress: quiet });
    // Argo CD's own ApplicationSet controller against the emulation: agreeing on the clean
    // tree, and caught when the emulation is given another head for PR 7 than GitHub lists.
    const canary = canaryScene(report.scenes);
    const pulls = [...canary.pullRequests, NO_CANARY_PULL];
    applicationSets = {
      agree: await verifyApplicationSets(clean, canary, api, plane.kubeconfig, workDir, pulls, quiet),
      skewed: await verifyApplicationSets(clean, canary, api, plane.kubeconfig, workDir, pulls, quiet, {
        emulated: (prs) => prs.map((pr) => (pr.number === 7 ? { ...pr, headSha: 'c'.repeat(40) } : pr)),
        agreeWithinMs: 10_000,
      }),
    };
    // Render every mutation first (two at a time), then run them through the cluster one by one.
    const rendered = await pool(CLUSTER_MUTATIONS, 2, async (mutation) => {
      const root = await mkdtemp(join(workDir, 'm-'));
      await copyTree(root);
      try {
        await apply(root, mutation);
        const r = await verifyRepository(root);
        return { root, report: r };
      } catch (err) {
        return { error: (err as Error).message };
      }
    });
    outcomes = [];
    for (const [i, mutation] of CLUSTER_MUTATIONS.entries()) {
      const r = rendered[i];
      if (r === undefined || 'error' in r) {
        outcomes.push({ error: r?.error ?? 'not rendered' });
        continue;
      }
      const scenes: Scene[] = r.report.scenes.filter((s) => s.name === CANARY_ENVIRONMENT);
      const result = await verifyScenesInCluster(r.root, scenes, api, () => {}, {
        prune: mutation.prune === true,
        ...(EDGE_RULES.includes(mutation.rule) ? withEdge : {}),
      });
      outcomes.push({ static: [...r.report.findings], cluster: result.findings });
    }
  });

  after(async () => {
    await edge?.traefik.stop();
    await edge?.hosts.close();
    await plane?.stop(true);
    await rm(workDir, { recursive: true, force: true });
  });

  it('the unmodified tree passes the static rules and the cluster, and closing every sample PR leaves nothing behind', () => {
    assert.equal(show(pristine.static), 'nothing');
    assert.equal(show(pristine.cluster), 'nothing');
  });

  it("Argo CD's ApplicationSet controller generates what canary render does, for realistic PRs and as they change", () => {
    const { agree } = applicationSets;
    assert.equal(show(agree.findings), 'nothing');
    assert.deepEqual(
      agree.rounds.map((r) => r.applications),
      [5, 4],
      'five PR Applications for the sample PRs, one fewer once a PR loses its labels',
    );
  });

  it('cluster-applicationset refuses an emulation that disagrees with the controller (another head for PR 7)', () => {
    const hits = applicationSets.skewed.findings.filter((f) => f.rule === 'cluster-applicationset');
    assert.ok(hits.length > 0, show(applicationSets.skewed.findings));
    assert.ok(
      hits.some((f) => f.object.includes('store-service-pr-7') && /c{8}|targetRevision/.test(f.message)),
      show(hits),
    );
  });

  it('has at least 20 cluster mutations and one for every cluster check', () => {
    assert.ok(CLUSTER_MUTATIONS.length >= 20);
    // cluster-applicationset is proven by the skewed-emulation test above: a change to the
    // manifests moves the controller and the emulation alike.
    const covered = new Set([...CLUSTER_MUTATIONS.map((m) => m.rule), 'cluster-applicationset']);
    assert.deepEqual(
      Object.keys(CLUSTER_RULE_DESCRIPTIONS).filter((r) => !covered.has(r)),
      [],
      'cluster checks without a mutation',
    );
  });

  it('verify --kubeconfig dry-runs an environment: the clean tree has no findings, and the canary namespaces are reported as would-be-created and left unchecked', () => {
    const { clean } = dryRuns;
    assert.ok(clean !== undefined);
    assert.equal(show(clean.findings), 'nothing');
    assert.ok(clean.wouldCreate.includes('store-canary-pr-123'), clean.wouldCreate.join(', '));
    assert.ok(clean.unchecked > 0);
    assert.deepEqual(clean.throwaway, []);
  });

  it('verify --kubeconfig --throwaway-namespaces checks what the canary namespaces will hold, and deletes its throwaway namespaces', async () => {
    const { cleanThrowaway, broken } = dryRuns;
    assert.ok(cleanThrowaway !== undefined && broken !== undefined);
    assert.equal(show(cleanThrowaway.findings), 'nothing');
    assert.equal(cleanThrowaway.unchecked, 0);
    assert.ok(cleanThrowaway.checked > (dryRuns.clean?.checked ?? 0));
    const refused = broken.findings.filter((f) => f.rule === 'cluster-pods' && /store-svc/.test(f.message));
    assert.ok(refused.length > 0, show(broken.findings));
    assert.ok(
      refused.some((f) => f.object.includes('store-canary-pr-')),
      'a canary namespace that does not exist yet is checked under its own name',
    );
    const throwaways = cleanThrowaway.throwaway.map((t) => t.as);
    const left = await api.list('v1', 'Namespace');
    for (const ns of left) {
      const name = String((ns.metadata as { name: string }).name);
      if (throwaways.includes(name))
        assert.ok(
          (ns.metadata as { deletionTimestamp?: string }).deletionTimestamp !== undefined,
          `${name} is being deleted`,
        );
    }
  });

  it("admission policy pr-canary-images, as make canary-admission installs it, refuses a PR namespace's public image and admits the platform registry's", async () => {
    const admission = prerequisites(join(workDir, 'clean')).filter(
      (o) =>
        o.file.endsWith('canary-admission.yaml') ||
        (o.object.kind === 'Namespace' && o.object.metadata.name === 'argocd'),
    );
    for (const { object } of admission) await api.apply(object);
    const namespace = 'admission-check-canary-pr-1';
    await api.apply({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: namespace, labels: { 'canary.pr-canary.dev/pr': '1' } },
    });
    const deployment = (image: string) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'store-service', namespace },
      spec: {
        selector: { matchLabels: { app: 'store-service' } },
        template: {
          metadata: { labels: { app: 'store-service' } },
          spec: { containers: [{ name: 'store-service', image }] },
        },
      },
    });
    try {
      // The policy and its parameter reach the API server's admission through informers.
      const refusal = await waitFor(
        () =>
          api.apply(deployment('docker.io/evil/miner:pr-1-abcdef1'), { dryRun: true }).then(
            () => '',
            // Only the policy's own refusal: until the API server's informers hold the
            // binding's parameter too, it refuses for that ("no params found").
            (err: unknown) => (/runs only images from/.test(String(err)) ? String(err) : ''),
          ),
        { timeout: 30_000, interval: 250, what: 'the admission policy to refuse a public image' },
      );
      assert.match(
        refusal,
        /a PR canary runs only images from ghcr\.io\/example-org\/pr-canary\/, not docker\.io\/evil\/miner/,
      );
      await api.apply(deployment('ghcr.io/example-org/pr-canary/store-service:pr-1-abcdef1'), {
        dryRun: true,
      });
    } finally {
      await api
        .delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } })
        .catch(() => undefined);
    }
  });

  CLUSTER_MUTATIONS.forEach((mutation, i) => {
    const skip = EDGE_RULES.includes(mutation.rule) ? edgeMissing : false;
    it(`${mutation.rule} refuses what the static rules pass: ${mutation.name}`, { skip }, () => {
      const outcome = outcomes[i];
      assert.ok(outcome !== undefined);
      if ('error' in outcome) assert.fail(outcome.error);
      assert.equal(
        show(outcome.static),
        'nothing',
        'the static rules already refuse it: not a cluster-only breakage',
      );
      const hits = outcome.cluster.filter((f) => f.rule === mutation.rule);
      assert.ok(hits.length > 0, `expected a ${mutation.rule} finding; got: ${show(outcome.cluster)}`);
      for (const hit of hits) {
        assert.match(hit.file, /\S/);
        assert.match(hit.object, /\S/);
        assert.match(hit.fix, /\S/);
      }
    });
  });
});
