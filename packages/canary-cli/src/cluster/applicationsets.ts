import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { isDeepStrictEqual, promisify } from 'node:util';
import { ensureTool, freePort } from 'upstream-tools';
import type { RenderedApplication } from '../gitops/argo.ts';
import type { PullRequest } from '../gitops/generators.ts';
import { asArray, at, describe, type K8sObject } from '../gitops/objects.ts';
import { renderPullRequest } from '../gitops/render.ts';
import type { Finding, Scene } from '../gitops/rules/types.ts';
import { launch } from './control-plane.ts';
import { type FakePull, startFakeGitHub } from './fake-github.ts';
import type { KubeApi } from './kube-api.ts';
import { CLUSTER_RULES } from './sync.ts';
import { waitFor } from './wait.ts';

const run = promisify(execFile);
const PR_LABEL = 'canary.pr-canary.dev/pr';
export const APPLICATIONSET_RULE = CLUSTER_RULES.applicationSet;

/** An open PR with no canary label: the generator must make nothing of it. */
export const NO_CANARY_PULL: PullRequest = {
  number: 5,
  headSha: '5'.repeat(40),
  labels: ['bug', 'dependencies'],
  branch: 'dependabot/npm_and_yarn/undici-8.14.0',
  title: 'Bump undici',
  author: 'dependabot[bot]',
};

const portOpen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

/** Every generator of an ApplicationSet, nested matrix and merge generators included. */
function generatorsOf(spec: unknown): Array<Record<string, unknown>> {
  return asArray(spec).flatMap((g) => {
    const generator = g as Record<string, unknown>;
    const nested = [at(generator, 'matrix', 'generators'), at(generator, 'merge', 'generators')];
    return [generator, ...nested.flatMap((n) => generatorsOf(n))];
  });
}

/** The pull request as GitHub would list it. */
const asPull = (pr: PullRequest, base: string): FakePull => ({
  number: pr.number,
  title: pr.title ?? `PR ${pr.number}`,
  branch: pr.branch,
  headSha: pr.headSha,
  base: pr.targetBranch ?? base,
  author: pr.author ?? 'someone',
  labels: pr.labels,
});

/** What of an Application the controller owns: labels, finalizers and spec. */
const owned = (o: Record<string, unknown> | K8sObject) => ({
  labels: at(o, 'metadata', 'labels') ?? {},
  finalizers: at(o, 'metadata', 'finalizers') ?? [],
  spec: at(o, 'spec'),
});

/** Field paths where two values differ (for the message). */
function differences(a: unknown, b: unknown, path = ''): string[] {
  if (isDeepStrictEqual(a, b)) return [];
  if (
    typeof a === 'object' &&
    a !== null &&
    typeof b === 'object' &&
    b !== null &&
    !Array.isArray(a) &&
    !Array.isArray(b)
  ) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) =>
      differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`),
    );
  }
  if (typeof a === 'string' && typeof b === 'string') {
    // Long strings (kustomize patches): the first line that differs.
    const [left, right] = [a.split('\n'), b.split('\n')];
    const first = left.findIndex((line, n) => line !== right[n]);
    const line = first < 0 ? left.length : first;
    return [
      `${path.slice(1)} line ${line + 1}: controller ${JSON.stringify(left[line] ?? '')}, emulation ${JSON.stringify(right[line] ?? '')}`,
    ];
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length)
    return a.flatMap((x, i) => differences(x, b[i], `${path}[${i}]`));
  return [
    `${path.slice(1) || '(root)'}: controller ${JSON.stringify(a)?.slice(0, 120)}, emulation ${JSON.stringify(b)?.slice(0, 120)}`,
  ];
}

export interface ApplicationSetReport {
  readonly findings: Finding[];
  /** Each round: what the PRs looked like, how many Applications, and how long the controller took. */
  readonly rounds: Array<{ readonly name: string; readonly applications: number; readonly seconds: number }>;
}

interface Round {
  readonly name: string;
  readonly pulls: readonly PullRequest[];
}

/**
 * Runs Argo CD's own ApplicationSet controller and repo-server (built from the pinned
 * module) against the control plane, the git files generator reading a local repository
 * that holds this tree's catalogue.yaml, and the pull-request generator reading a fake
 * GitHub on 127.0.0.1 that lists realistic pull requests (branch names with slashes and
 * capitals, a fork whose branch is `main`, a PR with no canary label). In each round the
 * Applications the controller generates must equal what `canary render` generates for the
 * same pull requests (labels, finalizers, spec); then the PRs change (a new head pushed, a
 * label added, a label removed) and the controller must follow.
 */
export async function verifyApplicationSets(
  root: string,
  scene: Scene,
  api: KubeApi,
  kubeconfig: string,
  dir: string,
  pulls: readonly PullRequest[],
  progress: (line: string) => void,
  options: {
    /** What the emulation is given instead of the pull requests GitHub lists (tests make it disagree). */
    readonly emulated?: (prs: readonly PullRequest[]) => readonly PullRequest[];
    /** How long the controller may take to agree in each round (default 60 s). */
    readonly agreeWithinMs?: number;
  } = {},
): Promise<ApplicationSetReport> {
  const emulated = options.emulated ?? ((prs: readonly PullRequest[]) => prs);
  const argocd = await ensureTool('argocd');
  const work = await mkdtemp(join(dir, 'argocd-'));
  const findings: Finding[] = [];
  const rounds: ApplicationSetReport['rounds'] = [];
  const children: Array<{ kill(signal?: NodeJS.Signals): boolean }> = [];
  const sets = scene.argo.filter((o) => o.object.kind === 'ApplicationSet');
  const prSet = sets.find((s) =>
    generatorsOf(at(s.object, 'spec', 'generators')).some((g) => g.pullRequest !== undefined),
  );
  if (prSet === undefined) return { findings, rounds };
  const github = generatorsOf(at(prSet.object, 'spec', 'generators'))
    .map((g) => at(g, 'pullRequest', 'github') as Record<string, unknown> | undefined)
    .find((g) => g !== undefined) as Record<string, unknown>;
  const token = 'canary-verify-token';
  const fake = await startFakeGitHub(String(github.owner), String(github.repo), token);
  try {
    // The repository the git files generator reads: this tree's catalogue on the default branch.
    const repo = join(work, 'repo');
    const gitGenerator = generatorsOf(at(prSet.object, 'spec', 'generators')).find(
      (g) => g.git !== undefined,
    );
    const branch = String(at(gitGenerator, 'git', 'revision') ?? 'main');
    await mkdir(repo, { recursive: true });
    await run('git', ['init', '-q', '-b', branch, repo]);
    await copyFile(join(root, 'catalogue.yaml'), join(repo, 'catalogue.yaml'));
    await run('git', ['-C', repo, 'add', 'catalogue.yaml']);
    await run('git', [
      '-C',
      repo,
      '-c',
      'user.name=canary verify',
      '-c',
      'user.email=verify@localhost',
      'commit',
      '-qm',
      'catalogue',
    ]);

    const tokenRef = github.tokenRef as { secretName: string; key: string };
    await api.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: tokenRef.secretName, namespace: prSet.object.metadata.namespace ?? 'argocd' },
      stringData: { [tokenRef.key]: token },
    });
    // The ApplicationSets as rendered, but reading the local repository and the fake GitHub.
    for (const set of sets) {
      const object = structuredClone(set.object);
      for (const g of generatorsOf(at(object, 'spec', 'generators'))) {
        const git = g.git as Record<string, unknown> | undefined;
        if (git !== undefined) git.repoURL = repo;
        const gh = at(g, 'pullRequest', 'github') as Record<string, unknown> | undefined;
        if (gh !== undefined) gh.api = fake.url;
      }
      await api.apply(object);
    }

    const redisPort = await freePort();
    const repoPort = await freePort();
    const repoMetrics = await freePort();
    const logs = (name: string) => join(work, `${name}.log`);
    children.push(
      launch(
        'redis-server',
        ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        logs('redis'),
      ),
    );
    const env = {
      ...process.env,
      TMPDIR: join(work, 'tmp'),
      ARGOCD_ASK_PASS_SOCK: join(work, 'askpass.sock'),
      ARGOCD_GPG_ENABLED: 'false',
    };
    await mkdir(join(work, 'tmp'), { recursive: true });
    children.push(
      launch(
        argocd.path,
        [
          '--address',
          '127.0.0.1',
          '--port',
          String(repoPort),
          '--metrics-address',
          '127.0.0.1',
          '--metrics-port',
          String(repoMetrics),
          '--disable-tls',
          '--redis',
          `127.0.0.1:${redisPort}`,
          '--logformat',
          'text',
        ],
        logs('repo-server'),
        { ...env, ARGOCD_BINARY_NAME: 'argocd-repo-server' },
      ),
    );
    // The controller retries a failed generation only after 3 minutes: start it once its peers listen.
    const peers = await waitFor(
      async () => (await portOpen(redisPort)) && (await portOpen(repoPort)),
      30_000,
      100,
    );
    if (!peers)
      throw new Error(`cluster: redis or argocd-repo-server did not listen within 30 s (logs in ${work})`);

    const namespace = prSet.object.metadata.namespace ?? 'argocd';
    const base = String(at(gitGenerator, 'git', 'revision') ?? 'main');
    const environment = { environment: scene.name, argo: scene.argo, stable: scene.stable };
    const expected = async (prs: readonly PullRequest[]): Promise<RenderedApplication[]> =>
      (await Promise.all(prs.map((pr) => renderPullRequest(root, environment, pr)))).flat();
    const live = async () =>
      (await api.list('argoproj.io/v1alpha1', 'Application', namespace)).filter(
        (a) =>
          at(a, 'metadata', 'labels', PR_LABEL) !== undefined &&
          at(a, 'metadata', 'deletionTimestamp') === undefined,
      );

    // Then what happens to open PRs: the first pushes a new head and gets
    // canary:isolated-data, the last with a canary label loses all its labels.
    const canaries = pulls.filter((pr) => pr.labels.some((l) => l.startsWith('canary:')));
    const first = canaries[0];
    const last = canaries[canaries.length - 1];
    const plan: Round[] = [{ name: 'opened', pulls }];
    if (first !== undefined && last !== undefined && first !== last)
      plan.push({
        name: `PR ${first.number} pushed a new head and got canary:isolated-data, PR ${last.number} lost its labels`,
        pulls: pulls.map((pr) =>
          pr === first
            ? { ...pr, headSha: 'b'.repeat(40), labels: [...pr.labels, 'canary:isolated-data'] }
            : pr === last
              ? { ...pr, labels: [] }
              : pr,
        ),
      });

    let controller: ReturnType<typeof launch> | undefined;
    let restarts = 0;
    const startController = async () => {
      const [metrics, probe, webhook] = [await freePort(), await freePort(), await freePort()];
      const child = launch(
        argocd.path,
        [
          '--kubeconfig',
          kubeconfig,
          '--namespace',
          namespace,
          '--argocd-repo-server',
          `127.0.0.1:${repoPort}`,
          '--repo-server-plaintext',
          '--metrics-addr',
          `127.0.0.1:${metrics}`,
          '--probe-addr',
          `127.0.0.1:${probe}`,
          '--webhook-addr',
          `127.0.0.1:${webhook}`,
          '--logformat',
          'text',
        ],
        logs('applicationset-controller'),
        // The manager reads KUBECONFIG, not its --kubeconfig flag.
        { ...env, KUBECONFIG: kubeconfig, ARGOCD_BINARY_NAME: 'argocd-applicationset-controller' },
      );
      children.push(child);
      return child;
    };
    for (const [index, round] of plan.entries()) {
      fake.setPulls(round.pulls.map((pr) => asPull(pr, base)));
      const want = await expected(emulated(round.pulls));
      const started = performance.now();
      if (index === 0) controller = await startController();
      else {
        // What the GitHub webhook does: a refresh of the ApplicationSet.
        await api.request(
          'PATCH',
          `/apis/argoproj.io/v1alpha1/namespaces/${namespace}/applicationsets/${prSet.object.metadata.name}`,
          { metadata: { annotations: { 'argocd.argoproj.io/application-set-refresh': String(Date.now()) } } },
          'application/merge-patch+json',
        );
      }
      const matches = async () => {
        // Its ports are picked free, then bound: if another process took one meanwhile the
        // controller exits at start. Start it again on new ports (twice at most).
        if (controller?.exitCode !== null && controller !== undefined && restarts < 2) {
          restarts++;
          progress(
            `ApplicationSet controller exited (${controller.exitCode}) at start; starting it again on new ports`,
          );
          controller = await startController();
        }
        const apps = await live();
        if (apps.length !== want.length) return false;
        return want.every((w) => {
          const got = apps.find((a) => at(a, 'metadata', 'name') === w.application.metadata.name);
          return got !== undefined && isDeepStrictEqual(owned(got), owned(w.application));
        });
      };
      const agreed = await waitFor(matches, options.agreeWithinMs ?? 60_000, 200);
      const seconds = (performance.now() - started) / 1000;
      rounds.push({ name: round.name, applications: want.length, seconds });
      progress(
        `ApplicationSet controller, ${round.name}: ${agreed ? `${want.length} Applications equal to the emulation's` : 'differs from the emulation'} after ${seconds.toFixed(1)} s`,
      );
      if (agreed) continue;
      const apps = await live();
      for (const w of want) {
        const got = apps.find((a) => at(a, 'metadata', 'name') === w.application.metadata.name);
        const item = { object: w.application, file: w.file };
        if (got === undefined) {
          findings.push({
            rule: APPLICATIONSET_RULE,
            file: w.file,
            object: describe(w.application),
            path: '',
            message: `${round.name}: the controller generated no such Application`,
            fix: 'make canary render generate what Argo CD generates (gitops/generators.ts, go-template.ts) or fix the ApplicationSet',
          });
          continue;
        }
        const diff = differences(owned(got), owned(item.object));
        if (diff.length > 0)
          findings.push({
            rule: APPLICATIONSET_RULE,
            file: w.file,
            object: describe(w.application),
            path: '',
            message: `${round.name}: the controller's Application differs: ${diff.slice(0, 4).join('; ')}`,
            fix: 'make canary render generate what Argo CD generates, or fix the template',
          });
      }
      for (const a of apps) {
        const name = String(at(a, 'metadata', 'name'));
        if (want.some((w) => w.application.metadata.name === name)) continue;
        findings.push({
          rule: APPLICATIONSET_RULE,
          file: prSet.file,
          object: `Application ${namespace}/${name}`,
          path: '',
          message: `${round.name}: the controller generated it, the emulation did not`,
          fix: 'make canary render generate what Argo CD generates, or fix the ApplicationSet',
        });
      }
    }
    return { findings, rounds };
  } finally {
    for (const child of children.reverse()) child.kill('SIGKILL');
    await fake.close();
    // No application-controller runs to honour the resources finalizer of what was generated.
    for (const app of await api
      .list('argoproj.io/v1alpha1', 'Application', prSet.object.metadata.namespace ?? 'argocd')
      .catch(() => [])) {
      if (at(app, 'metadata', 'labels', PR_LABEL) === undefined) continue;
      const ref: K8sObject = {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: {
          name: String(at(app, 'metadata', 'name')),
          namespace: String(at(app, 'metadata', 'namespace')),
        },
      };
      await api.clearFinalizers(ref).catch(() => undefined);
      await api.delete(ref).catch(() => undefined);
    }
    await rm(work, { recursive: true, force: true });
  }
}
