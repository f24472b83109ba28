import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCatalogue } from 'service-catalogue';
import { parse } from 'yaml';
import type { PullRequest } from './generators.ts';
import { grpcIndex } from './proto-index.ts';
import {
  CANARY_ENVIRONMENT,
  ENVIRONMENTS,
  MANIFESTS,
  renderEnvironment,
  renderPullRequest,
} from './render.ts';
import { type Finding, RULES, runRules, type Scene } from './rules/index.ts';
import type { VerifyContext } from './rules/types.ts';

/** PRs verify renders in the canary environment: both services, one each, isolated data, the largest PR number. */
export const SAMPLE_PULL_REQUESTS: readonly PullRequest[] = [
  {
    number: 123,
    headSha: '1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b',
    labels: ['canary:api-service', 'canary:store-service'],
  },
  { number: 7, headSha: 'a7a7a7a7b8b8b8b8c9c9c9c9d0d0d0d0e1e1e1e1', labels: ['canary:store-service'] },
  {
    number: 42,
    headSha: '4242424242424242424242424242424242424242',
    labels: ['canary:store-service', 'canary:isolated-data'],
  },
  { number: 9999999999, headSha: 'ffffffffffffffffffffffffffffffffffffffff', labels: ['canary:api-service'] },
];

/** The platform settings file (the one place for registry, branch, hosts …). */
export const PLATFORM_FILE = `${MANIFESTS}/platform/platform.yaml`;

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
  return {
    catalogue: loadCatalogue(root),
    grpc: grpcIndex(root),
    defaultBranch: platform['default-branch'] ?? 'main',
    registry: platform.registry ?? '',
  };
}

export async function buildScenes(
  root: string,
  progress: (line: string) => void = () => {},
): Promise<Scene[]> {
  const context = verifyContext(root);
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
