import { canaryImageTag } from 'canary-context';

/**
 * Canary image tag: `pr-<N>-<head sha, 8 hex>`, exactly what the PR ApplicationSets
 * render from the generator's `head_short_sha`. A new tag per push rolls the pods.
 */
export function canaryTag(pr: number | string, headSha: string): string {
  if (!/^[0-9a-f]{40}$/.test(headSha)) throw new Error(`not a full commit sha: ${JSON.stringify(headSha)}`);
  return canaryImageTag(pr, headSha);
}

/** Release tag `vX.Y.Z` (optionally `-rc.N`) → the image tag, which is the same string. */
export function releaseTag(gitTag: string): string {
  if (!/^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$/.test(gitTag)) {
    throw new Error(`not a release tag (vMAJOR.MINOR.PATCH): ${JSON.stringify(gitTag)}`);
  }
  return gitTag;
}

/** Registry repository of a service image, e.g. ghcr.io/owner/repo/api-service (lower case, as GHCR requires). */
export function imageName(registry: string, service: string): string {
  return `${registry.replace(/\/+$/, '')}/${service}`.toLowerCase();
}
