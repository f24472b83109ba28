import type { PullRequest } from './argo.ts';
import { CANARY_ENVIRONMENT, ENVIRONMENTS, renderEnvironment, renderPullRequest } from './render.ts';
import { type Finding, RULES, runRules, type Scene } from './rules.ts';

/** PRs verify renders in the canary environment: both services, one service, the largest PR number. */
export const SAMPLE_PULL_REQUESTS: readonly PullRequest[] = [
  {
    number: 123,
    headSha: '1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b',
    labels: ['canary:api-service', 'canary:store-service'],
  },
  { number: 7, headSha: 'a7a7a7a7b8b8b8b8c9c9c9c9d0d0d0d0e1e1e1e1', labels: ['canary:store-service'] },
  { number: 9999999999, headSha: 'ffffffffffffffffffffffffffffffffffffffff', labels: ['canary:api-service'] },
];

export interface VerifyReport {
  readonly scenes: readonly Scene[];
  readonly findings: readonly Finding[];
  readonly objectCount: number;
}

export async function buildScenes(
  repoRoot: string,
  progress: (line: string) => void = () => {},
): Promise<Scene[]> {
  const scenes: Scene[] = [];
  for (const environment of ENVIRONMENTS) {
    progress(`rendering ${environment} ...`);
    const env = await renderEnvironment(repoRoot, environment);
    const canary =
      environment === CANARY_ENVIRONMENT
        ? (await Promise.all(SAMPLE_PULL_REQUESTS.map((pr) => renderPullRequest(repoRoot, env, pr)))).flat()
        : [];
    if (environment === CANARY_ENVIRONMENT)
      progress(
        `rendered ${canary.length} PR Applications for PRs ${SAMPLE_PULL_REQUESTS.map((p) => p.number).join(', ')}`,
      );
    scenes.push({ name: environment, argo: env.argo, stable: env.stable, canary });
  }
  return scenes;
}

export async function verifyRepository(
  repoRoot: string,
  progress?: (line: string) => void,
): Promise<VerifyReport> {
  const scenes = await buildScenes(repoRoot, progress);
  const objectCount = scenes.reduce(
    (n, s) => n + s.argo.length + [...s.stable, ...s.canary].reduce((m, a) => m + a.objects.length, 0),
    0,
  );
  return { scenes, findings: runRules(scenes, RULES), objectCount };
}
