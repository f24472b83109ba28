import { type RenderedApplication, renderApplication, type SourceRoots } from './argo.ts';
import { instantiateApplicationSet, involvesPullRequests, type PullRequest } from './generators.ts';
import { buildKustomization } from './kustomize.ts';
import { at, type RenderedObject } from './objects.ts';

export const MANIFESTS = 'manifests-microservices';
export const ENVIRONMENTS = ['production', 'staging', 'integration-001'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];
/** The environment whose Argo CD runs the PR ApplicationSets. */
export const CANARY_ENVIRONMENT: Environment = 'integration-001';

/** Everything one environment's Argo CD would hold, and what its stable Applications apply. */
export interface EnvironmentRender {
  readonly environment: string;
  /** AppProjects, Applications and ApplicationSets, as `kubectl apply -k applications/<env>` creates them. */
  readonly argo: readonly RenderedObject[];
  /** The Applications it declares, and those its non-PR ApplicationSets generate. */
  readonly stable: readonly RenderedApplication[];
}

const isPrSet = ({ object }: RenderedObject) =>
  object.kind === 'ApplicationSet' &&
  (at(object, 'spec', 'generators') as unknown[]).some(involvesPullRequests);

/** Renders an environment from a checkout of the default branch. */
export async function renderEnvironment(root: string, environment: string): Promise<EnvironmentRender> {
  const argo = await buildKustomization(root, `${MANIFESTS}/applications/${environment}`);
  const roots: SourceRoots = { defaultRoot: root };
  const declared = argo
    .filter(({ object }) => object.kind === 'Application')
    .map(({ object, file }) => ({ object, file, set: undefined as string | undefined }));
  const generated = argo
    .filter((item) => item.object.kind === 'ApplicationSet' && !isPrSet(item))
    .flatMap(({ object, file }) =>
      instantiateApplicationSet(object, { root }).map((app) => ({
        object: app,
        file,
        set: object.metadata.name,
      })),
    );
  const stable = await Promise.all(
    [...declared, ...generated].map((a) => renderApplication(roots, a.object, a.file, a.set)),
  );
  return { environment, argo, stable };
}

/**
 * The Applications that an environment's PR ApplicationSets generate for one PR, rendered
 * from the default branch, with the workload Applications they contain rendered from the
 * PR's head (`headRoot`, the default branch's checkout when omitted).
 */
export async function renderPullRequest(
  root: string,
  environment: EnvironmentRender,
  pr: PullRequest,
  headRoot: string = root,
): Promise<RenderedApplication[]> {
  const roots: SourceRoots = { defaultRoot: root, head: { sha: pr.headSha, root: headRoot } };
  const generated = environment.argo.filter(isPrSet).flatMap(({ object, file }) =>
    instantiateApplicationSet(object, { root, pullRequest: pr }).map((application) => ({
      application,
      file,
      set: object.metadata.name,
    })),
  );
  return Promise.all(generated.map((g) => renderApplication(roots, g.application, g.file, g.set, pr.number)));
}

export type { PullRequest };
