// The names that carry a PR number, each built (and read) here only: the track a canary
// reports, its image tag and its preview hostname. Everything else imports them.
import { isPrNumber, PR_NUMBER_PATTERN } from './key.ts';

/** The track of the stable release. */
export const STABLE_TRACK = 'stable';

const TRACK_PREFIX = 'pr-';

function prString(pr: number | string): string {
  const value = String(pr);
  if (!isPrNumber(value)) throw new Error(`not a PR number: ${JSON.stringify(value)}`);
  return value;
}

/** The track of PR `pr`'s canaries: `pr-<N>` (DEPLOYMENT_TRACK, X-Served-By, metrics labels). */
export function canaryTrack(pr: number | string): string {
  return `${TRACK_PREFIX}${prString(pr)}`;
}

/** `stable` or `pr-<N>`. */
export const TRACK = new RegExp(`^(${STABLE_TRACK}|${TRACK_PREFIX}${PR_NUMBER_PATTERN})$`);

/** The PR number of a `pr-<N>` track, or undefined for stable. */
export function trackPr(track: string): string | undefined {
  return track.startsWith(TRACK_PREFIX) ? track.slice(TRACK_PREFIX.length) : undefined;
}

/** Characters of the head commit in a canary image tag (the ApplicationSet's head_short_sha). */
export const IMAGE_TAG_SHA_LENGTH = 8;

/**
 * A canary's image tag: `pr-<N>-<head sha, 8 hex>`, what CI pushes and the PR
 * ApplicationSets render from head_short_sha (a new tag per push rolls the pods).
 */
export function canaryImageTag(pr: number | string, headSha: string): string {
  if (!/^[0-9a-f]{8,40}$/.test(headSha)) throw new Error(`not a commit sha: ${JSON.stringify(headSha)}`);
  return `${canaryTrack(pr)}-${headSha.slice(0, IMAGE_TAG_SHA_LENGTH)}`;
}

/** A PR image tag, `pr-<N>-<sha>` (any sha length git abbreviates to): its PR and sha. */
export const CANARY_IMAGE_TAG = new RegExp(`^${TRACK_PREFIX}(${PR_NUMBER_PATTERN})-([0-9a-f]{7,40})$`);

/** PR `pr`'s preview hostname under the API host: `pr-<N>.<api host>`. */
export function previewHost(pr: number | string, apiHost: string): string {
  return `${canaryTrack(pr)}.${apiHost}`;
}

/** The PR a preview hostname names (its first label `pr-<N>`), or undefined. */
export function previewPr(host: string): string | undefined {
  const dot = host.indexOf('.');
  if (dot < 1 || dot === host.length - 1) return undefined;
  const pr = trackPr(host.slice(0, dot));
  return pr !== undefined && isPrNumber(pr) ? pr : undefined;
}
