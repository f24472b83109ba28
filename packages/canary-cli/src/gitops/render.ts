import {
  instantiateApplicationSet,
  type PullRequest,
  type RenderedApplication,
  renderApplication,
} from './argo.ts';
import { buildKustomization } from './kustomize.ts';
import type { RenderedObject } from './objects.ts';

export const MANIFESTS = 'manifests-microservices';
export const ENVIRONMENTS = ['production', 'staging', 'integration-001'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];
/** The environment whose Argo CD runs the PR ApplicationSets. */
export const CANARY_ENVIRONMENT: Environment = 'integration-001';

/** Everything one environment's Argo CD would hold, and what its Applications apply. */
export interface EnvironmentRender {
  readonly environment: string;
  /** AppProjects, Applications and ApplicationSets, as `kubectl apply -k applications/<env>` creates them. */
  readonly argo: readonly RenderedObject[];
  readonly stable: readonly RenderedApplication[];
}

export async function renderEnvironment(repoRoot: string, environment: string): Promise<EnvironmentRender> {
  const argo = await buildKustomization(repoRoot, `${MANIFESTS}/applications/${environment}`);
  const stable = await Promise.all(
    argo
      .filter(({ object }) => object.kind === 'Application')
      .map(({ object, file }) => renderApplication(repoRoot, object, file)),
  );
  return { environment, argo, stable };
}

/** The Applications (and their objects) that the environment's ApplicationSets generate for one PR. */
export async function renderPullRequest(
  repoRoot: string,
  environment: EnvironmentRender,
  pr: PullRequest,
): Promise<RenderedApplication[]> {
  const sets = environment.argo.filter(({ object }) => object.kind === 'ApplicationSet');
  const generated = sets.flatMap(({ object, file }) =>
    instantiateApplicationSet(object, pr).map((application) => ({
      application,
      file,
      set: object.metadata.name,
    })),
  );
  return Promise.all(generated.map((g) => renderApplication(repoRoot, g.application, g.file, g.set)));
}
