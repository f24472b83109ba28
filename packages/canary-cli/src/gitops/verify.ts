import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCatalogue } from 'service-catalogue';
import { parse } from 'yaml';
import { findDefaultBranch } from './default-branch.ts';
import type { PullRequest } from './generators.ts';
import { grpcIndex } from './proto-index.ts';
import { CANARY_ENVIRONMENT, ENVIRONMENTS, renderEnvironment, renderPullRequest } from './render.ts';
import { PLATFORM_FILE } from './rules/canary.ts';
import { type Finding, RULES, runRules, type Scene } from './rules/index.ts';
import type { VerifyContext } from './rules/types.ts';

export { PLATFORM_FILE };

/**
 * PRs verify renders in the canary environment: both services, one each, isolated data, the
 * largest PR number; branches as GitHub gives them (upper case and underscores, slashes, a
 * fork PR whose branch is `main`, a name longer than a DNS label), so a template that puts
 * `.branch` rather than `.branch_slug` into a name is caught.
 */
export const SAMPLE_PULL_REQUESTS: readonly PullRequest[] = [
  {
    number: 123,
    headSha: '1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b',
    labels: ['canary:api-service', 'canary:store-service'],
    branch: 'feature/Fix_Bug',
    title: 'Fix the bug in both services',
    author: 'octocat',
  },
  {
    number: 7,
    headSha: 'a7a7a7a7b8b8b8b8c9c9c9c9d0d0d0d0e1e1e1e1',
    labels: ['canary:store-service'],
    branch: 'dependabot/npm_and_yarn/undici-8.14.0',
    author: 'dependabot[bot]',
  },
  {
    number: 42,
    headSha: '4242424242424242424242424242424242424242',
    labels: ['canary:store-service', 'canary:isolated-data'],
    // A fork's PR from its own main: the branch name says nothing about the base.
    branch: 'main',
    author: 'a-fork-owner',
  },
  {
    number: 9999999999,
    headSha: 'ffffffffffffffffffffffffffffffffffffffff',
    labels: ['canary:api-service'],
    branch:
      'users/someone/Ünïcode-and_a-very-long-branch-name-that-goes-on/and-on-beyond-sixty-three-characters',
  },
];

export function readPlatformSettings(root: string): Record<string, string> {
  const doc = parse(readFileSync(join(root, PLATFORM_FILE), 'utf8')) as { data?: Record<string, string> };
  return doc.data ?? {};
}

export interface VerifyReport {
  readonly scenes: readonly Scene[];
  readonly findings: readonly Finding[];
  readonly objectCount: number;
}

export function verifyContext(root: string): VerifyContext {
  const platform = readPlatformSettings(root);
  const defaultBranch = platform['default-branch'] ?? 'main';
  return {
    catalogue: loadCatalogue(root),
    grpc: grpcIndex(root),
    defaultBranch,
    defaultBranchRef: findDefaultBranch(root, defaultBranch),
    registry: platform.registry ?? '',
  };
}

export async function buildScenes(
  root: string,
  progress: (line: string) => void = () => {},
): Promise<Scene[]> {
  const context = verifyContext(root);
  if (context.defaultBranchRef.state === 'not-checked')
    progress(
      `default-branch ${context.defaultBranch} not checked against git: ${context.defaultBranchRef.why}`,
    );
  return Promise.all(
    ENVIRONMENTS.map(async (environment) => {
      const env = await renderEnvironment(root, environment);
      const prs = environment === CANARY_ENVIRONMENT ? SAMPLE_PULL_REQUESTS : [];
      const canary = (await Promise.all(prs.map((pr) => renderPullRequest(root, env, pr)))).flat();
      progress(
        `rendered ${environment}: ${env.stable.length} Applications${prs.length === 0 ? '' : `, ${canary.length} PR Applications for PRs ${prs.map((p) => p.number).join(', ')}`}`,
      );
      return { name: environment, argo: env.argo, stable: env.stable, canary, pullRequests: prs, context };
    }),
  );
}

export async function verifyRepository(
  root: string,
  progress?: (line: string) => void,
): Promise<VerifyReport> {
  const scenes = await buildScenes(root, progress);
  const count = (apps: Scene['stable']): number =>
    apps.reduce((n, a) => n + a.objects.length + count(a.children), 0);
  const objectCount = scenes.reduce((n, s) => n + s.argo.length + count(s.stable) + count(s.canary), 0);
  return { scenes, findings: runRules(scenes, RULES), objectCount };
}
