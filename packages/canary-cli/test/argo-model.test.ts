// verify's model of Argo CD 3.3: AppProject whitelists (nil allows, [] denies), patterns in
// projects, the pull-request generator's parameters, names the API server accepts, and the
// default branch checked against the git repository verified.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RenderedApplication } from '../src/gitops/argo.ts';
import { findDefaultBranch } from '../src/gitops/default-branch.ts';
import { pullRequestParams, slug } from '../src/gitops/generators.ts';
import { renderString } from '../src/gitops/go-template.ts';
import type { K8sObject } from '../src/gitops/objects.ts';
import { routesFromDefaultBranch } from '../src/gitops/rules/canary.ts';
import { runRules } from '../src/gitops/rules/index.ts';
import { labelValueProblem, nameProblem } from '../src/gitops/rules/names.ts';
import {
  destinationPermitted,
  kindPermitted,
  projectPermits,
  sourcePermitted,
} from '../src/gitops/rules/projects.ts';
import type { Scene, VerifyContext } from '../src/gitops/rules/types.ts';
import { SAMPLE_PULL_REQUESTS } from '../src/gitops/verify.ts';

const project = (spec: Record<string, unknown>): K8sObject => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'AppProject',
  metadata: { name: 'p', namespace: 'argocd' },
  spec,
});

const SERVER = 'https://kubernetes.default.svc';

describe('AppProject whitelists as Argo CD 3.3 reads them', () => {
  it('an absent namespaceResourceWhitelist allows every namespaced kind', () => {
    assert.equal(kindPermitted(project({}), 'rbac.authorization.k8s.io', 'Role', 'r'), undefined);
  });

  it('namespaceResourceWhitelist: [] allows no namespaced kind', () => {
    assert.match(
      kindPermitted(project({ namespaceResourceWhitelist: [] }), 'apps', 'Deployment', 'd') ?? '',
      /not in namespaceResourceWhitelist \(\[\] allows none/,
    );
  });

  it('cluster-scoped kinds need an entry: absent and [] both allow none', () => {
    assert.match(kindPermitted(project({}), '', 'Namespace', 'apps') ?? '', /absent: no cluster-scoped kind/);
    assert.match(
      kindPermitted(project({ clusterResourceWhitelist: [] }), '', 'Namespace', 'apps') ?? '',
      /\[\] allows none/,
    );
  });

  it('a cluster entry without a name, or with name "", allows every name', () => {
    for (const entry of [
      { group: '', kind: 'Namespace' },
      { group: '', kind: 'Namespace', name: '' },
    ])
      assert.equal(
        kindPermitted(project({ clusterResourceWhitelist: [entry] }), '', 'Namespace', 'x'),
        undefined,
      );
  });

  it('names, kinds and groups match with filepath.Match: character classes are valid', () => {
    const p = project({
      clusterResourceWhitelist: [{ group: '', kind: 'Namespace', name: '*-canary-pr-[0-9]*' }],
      namespaceResourceWhitelist: [{ group: '[a]pps', kind: 'Deploy?ent' }],
    });
    assert.equal(kindPermitted(p, '', 'Namespace', 'api-canary-pr-42'), undefined);
    assert.notEqual(kindPermitted(p, '', 'Namespace', 'api-canary-pr-x'), undefined);
    assert.equal(kindPermitted(p, 'apps', 'Deployment', 'd'), undefined);
  });

  it('a blacklist blocks what the whitelist allows', () => {
    const p = project({ namespaceResourceBlacklist: [{ group: '*', kind: 'Secret' }] });
    assert.match(kindPermitted(p, '', 'Secret', 's') ?? '', /in namespaceResourceBlacklist/);
    assert.equal(kindPermitted(p, '', 'ConfigMap', 'c'), undefined);
  });
});

describe('AppProject destinations and source repositories (globs, ! denies)', () => {
  const dst = (namespace: string) => ({ server: SERVER, name: '', namespace });

  it('matches namespace and server, with classes and alternatives', () => {
    const p = project({
      destinations: [{ server: SERVER, namespace: '{api,store}-canary-pr-[0-9]*' }],
    });
    assert.equal(destinationPermitted(p, dst('api-canary-pr-7')), true);
    assert.equal(destinationPermitted(p, dst('apps')), false);
    assert.equal(destinationPermitted(p, { ...dst('api-canary-pr-7'), server: 'https://other' }), false);
  });

  it('a deny pattern refuses the namespace whatever the other entries allow', () => {
    const p = project({
      destinations: [
        { server: SERVER, namespace: '*' },
        { server: SERVER, namespace: '!kube-system' },
      ],
    });
    assert.equal(destinationPermitted(p, dst('apps')), true);
    assert.equal(destinationPermitted(p, dst('kube-system')), false);
  });

  it('a source repository pattern does not cross / with *', () => {
    const p = project({ sourceRepos: ['https://github.com/example-org/*'] });
    assert.equal(sourcePermitted(p, 'https://github.com/example-org/pr-canary.git'), true);
    assert.equal(sourcePermitted(p, 'https://github.com/example-org/a/b.git'), false);
    assert.equal(sourcePermitted(project({ sourceRepos: ['*'] }), 'https://x/y/z'), true);
  });
});

const CONTEXT: VerifyContext = {
  catalogue: [],
  grpc: new Map(),
  defaultBranch: 'main',
  defaultBranchRef: { state: 'found', ref: 'refs/heads/main' },
  registry: 'ghcr.io/example-org/pr-canary',
};

/** One Application under one AppProject, rendering `objects`. */
function sceneWith(proj: K8sObject, objects: K8sObject[]): Scene {
  const application: K8sObject = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: 'a', namespace: 'argocd' },
    spec: {
      project: 'p',
      source: { repoURL: 'https://github.com/example-org/pr-canary.git', path: 'x', targetRevision: 'main' },
      destination: { server: SERVER, namespace: 'apps' },
    },
  };
  const app: RenderedApplication = {
    application,
    file: 'app.yaml',
    generatedBy: undefined,
    destinationNamespace: 'apps',
    revision: 'main',
    fromPullRequestHead: false,
    objects: objects.map((object) => ({ object, file: 'objects.yaml' })),
    children: [],
    pullRequest: undefined,
  };
  return {
    name: 'test',
    argo: [{ object: proj, file: 'project.yaml' }],
    stable: [app],
    canary: [],
    pullRequests: [],
    context: CONTEXT,
  };
}

describe('rule project-permits on AppProject patterns', () => {
  const base = {
    sourceRepos: ['https://github.com/example-org/*'],
    destinations: [{ server: SERVER, namespace: 'app[s]' }],
  };
  const namespace: K8sObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'apps' } };
  const deployment: K8sObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', namespace: 'apps' },
  };

  it('accepts character classes in names and destinations', () => {
    const p = project({
      ...base,
      clusterResourceWhitelist: [{ group: '', kind: 'Namespace', name: '[a]pp[a-z]' }],
      namespaceResourceWhitelist: [{ group: 'apps', kind: 'Deployment' }],
    });
    assert.deepEqual(runRules([sceneWith(p, [namespace, deployment])], [projectPermits]), []);
  });

  it('refuses a malformed pattern, naming its place', () => {
    const p = project({
      ...base,
      clusterResourceWhitelist: [{ group: '', kind: 'Namespace', name: 'app[' }],
      namespaceResourceWhitelist: [{ group: 'apps', kind: 'Deployment' }],
    });
    const findings = runRules([sceneWith(p, [namespace, deployment])], [projectPermits]);
    assert.deepEqual(
      findings.map((f) => f.path),
      ['spec.clusterResourceWhitelist[0].name', 'kind'],
    );
    assert.match(
      findings[0]?.message ?? '',
      /"app\[" is malformed \(filepath.Match: syntax error in pattern\)/,
    );
  });

  it('refuses every namespaced object under namespaceResourceWhitelist: []', () => {
    const p = project({ ...base, namespaceResourceWhitelist: [] });
    assert.deepEqual(
      runRules([sceneWith(p, [deployment])], [projectPermits]).map((f) => f.object),
      ['Deployment apps/d'],
    );
  });
});

describe('pull-request generator parameters (Argo CD 3.3)', () => {
  const pr = {
    number: 123,
    headSha: '1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b',
    labels: ['canary:api-service'],
    branch: 'feature/Fix_Bug',
    title: 'Fix it',
    author: 'octocat',
  };

  it('gives every parameter Argo CD gives, head_short_sha with 8 characters', () => {
    const params = pullRequestParams(pr);
    assert.deepEqual(params, {
      number: '123',
      title: 'Fix it',
      branch: 'feature/Fix_Bug',
      branch_slug: 'feature-fix-bug',
      target_branch: 'main',
      target_branch_slug: 'main',
      head_sha: pr.headSha,
      head_short_sha: '1a2b3c4d',
      head_short_sha_7: '1a2b3c4',
      author: 'octocat',
      labels: ['canary:api-service'],
    });
    const given: Record<string, unknown> = pullRequestParams(pr);
    for (const key of Object.keys(given).filter((k) => k !== 'labels'))
      assert.equal(renderString(`{{ .${key} }}`, given), String(given[key]));
    assert.equal(renderString('{{ if has "canary:api-service" .labels }}yes{{ end }}', given), 'yes');
  });

  it('slugs branches as gosimple/slug with 50 characters, cut at a dash', () => {
    assert.equal(slug('dependabot/npm_and_yarn/undici-8.14.0'), 'dependabot-npm-and-yarn-undici-8-14-0');
    assert.equal(slug('main'), 'main');
    assert.equal(slug('  Fix & Test @home  '), 'fix-and-test-athome');
    assert.equal(slug('--Ünïcode_'), 'unicode');
    const long = slug(
      'users/someone/Ünïcode-and_a-very-long-branch-name-that-goes-on/and-on-beyond-sixty-three-characters',
    );
    assert.equal(long, 'users-someone-unicode-and-a-very-long-branch-name');
    assert.ok(long.length <= 50);
    assert.equal(slug('a'.repeat(60)), 'a'.repeat(50));
  });

  it('sample PRs carry realistic branches whose slugs are DNS labels', () => {
    const branches = SAMPLE_PULL_REQUESTS.map((p) => p.branch);
    assert.ok(branches.includes('main'), 'a fork PR from its main');
    assert.ok(branches.some((b) => b.includes('/') && /[A-Z_]/.test(b)));
    assert.ok(branches.some((b) => b.length > 63));
    for (const p of SAMPLE_PULL_REQUESTS) {
      const s = String(pullRequestParams(p).branch_slug);
      assert.equal(nameProblem('Namespace', s), undefined, s);
      if (p.branch !== s) assert.notEqual(nameProblem('Namespace', p.branch), undefined, p.branch);
    }
  });
});

describe('names the API server accepts', () => {
  it('refuses branch names as typed, accepts their slugs', () => {
    assert.match(nameProblem('Application', 'api-service-feature/Fix_Bug') ?? '', /DNS-1123 subdomain/);
    assert.equal(nameProblem('Application', 'api-service-feature-fix-bug'), undefined);
    assert.match(nameProblem('Namespace', `x-${'a'.repeat(63)}`) ?? '', /at most 63/);
    assert.match(nameProblem('Service', 'a.b') ?? '', /DNS-1123 label/);
    assert.equal(nameProblem('ClusterRole', 'system:aggregate-to-view'), undefined);
    assert.equal(labelValueProblem('Fix_Bug.1'), undefined);
    assert.notEqual(labelValueProblem('feature/Fix_Bug'), undefined);
    assert.notEqual(labelValueProblem('a'.repeat(64)), undefined);
  });
});

describe('the default branch in the git repository verified', () => {
  let dir: string;
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@example.invalid',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@example.invalid',
        GIT_CONFIG_GLOBAL: '/dev/null',
        GIT_CONFIG_NOSYSTEM: '1',
      },
    }).trim();
  const NO_CI = {};

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'default-branch-'));
    const origin = join(dir, 'origin');
    await mkdir(origin);
    git(origin, 'init', '--quiet', '--initial-branch=main');
    await writeFile(join(origin, 'f'), 'x\n');
    git(origin, 'add', 'f');
    git(origin, 'commit', '--quiet', '-m', 'first');
    git(origin, 'branch', 'feature/x');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('finds a local branch', () => {
    assert.deepEqual(findDefaultBranch(join(dir, 'origin'), 'main', NO_CI), {
      state: 'found',
      ref: 'refs/heads/main',
    });
  });

  it('finds the branch as a remote-tracking ref in a clone with a detached HEAD and no local branch', () => {
    const clone = join(dir, 'detached');
    git(dir, 'clone', '--quiet', '--branch', 'feature/x', join(dir, 'origin'), clone);
    git(clone, 'checkout', '--quiet', '--detach');
    git(clone, 'branch', '--quiet', '-D', 'feature/x');
    assert.deepEqual(findDefaultBranch(clone, 'main', NO_CI), {
      state: 'found',
      ref: 'refs/remotes/origin/main',
    });
  });

  it('reports a branch that exists neither locally nor as a remote-tracking ref', () => {
    const clone = join(dir, 'single');
    git(dir, 'clone', '--quiet', '--single-branch', '--branch', 'feature/x', join(dir, 'origin'), clone);
    const ref = findDefaultBranch(clone, 'main', NO_CI);
    assert.deepEqual(ref, {
      state: 'missing',
      looked: ['refs/heads/main', 'refs/remotes/origin/main'],
    });
    // GitHub Actions checks a PR out alone; its base branch is named in GITHUB_BASE_REF.
    assert.equal(
      findDefaultBranch(clone, 'main', { GITHUB_ACTIONS: 'true', GITHUB_BASE_REF: 'main' }).state,
      'found',
    );
    assert.equal(
      findDefaultBranch(clone, 'main', { GITHUB_ACTIONS: 'true', GITHUB_BASE_REF: 'release' }).state,
      'missing',
    );
  });

  it('does not check a tree that is not a git checkout of its own', async () => {
    const plain = await mkdtemp(join(tmpdir(), 'not-git-'));
    try {
      assert.equal(findDefaultBranch(plain, 'main', NO_CI).state, 'not-checked');
    } finally {
      await rm(plain, { recursive: true, force: true });
    }
    const sub = join(dir, 'origin', 'sub');
    await mkdir(sub);
    assert.equal(findDefaultBranch(sub, 'main', NO_CI).state, 'not-checked');
  });

  it('rule routes-from-default-branch reports the missing branch once, on the platform settings', () => {
    const scene: Scene = {
      name: 'integration-001',
      argo: [],
      stable: [],
      canary: [],
      pullRequests: SAMPLE_PULL_REQUESTS,
      context: {
        ...CONTEXT,
        defaultBranch: 'trunk',
        defaultBranchRef: { state: 'missing', looked: ['refs/heads/trunk', 'refs/remotes/origin/trunk'] },
      },
    };
    const findings = runRules([scene], [routesFromDefaultBranch]);
    assert.deepEqual(
      findings.map((f) => [f.file, f.path]),
      [['manifests-microservices/platform/platform.yaml', 'data.default-branch']],
    );
    assert.match(findings[0]?.message ?? '', /branch trunk does not exist in this repository/);
    assert.deepEqual(runRules([{ ...scene, pullRequests: [] }], [routesFromDefaultBranch]), []);
  });
});
