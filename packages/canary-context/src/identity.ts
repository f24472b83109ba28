import { CANARY_IMAGE_TAG, TRACK } from './names.ts';

/** The `x-served-by` gRPC response metadata key and `X-Served-By` HTTP response header. */
export const SERVED_BY_METADATA_KEY = 'x-served-by';
export const SERVED_BY_HEADER = 'x-served-by';

const SHA = /^[0-9a-f]{7,40}$/;

/** Which build of which service answers: set by the manifests (DEPLOYMENT_TRACK, APP_VERSION). */
export interface ServiceIdentity {
  readonly service: string;
  /** `stable` or `pr-<N>`. */
  readonly track: string;
  /** Image tag or version string, e.g. `v1.4.0`, `pr-123-1a2b3c4d` or a commit sha. */
  readonly version: string;
}

export function isValidTrack(track: string): boolean {
  return TRACK.test(track);
}

/**
 * This service's entry in the served-by chain, e.g. `api-service@pr-123 (sha 1a2b3c4)` or
 * `store-service@stable (v1.4.0)`. Versions that are commit shas (or PR image tags that
 * end in one) are shown as a 7-character sha.
 */
export function servedByEntry(identity: ServiceIdentity): string {
  const version = identity.version.toLowerCase();
  const sha = SHA.test(version) ? version : CANARY_IMAGE_TAG.exec(version)?.[2];
  const shown = sha === undefined ? identity.version : `sha ${sha.slice(0, 7)}`;
  return `${identity.service}@${identity.track} (${shown})`;
}

/** Splits an `X-Served-By` value into its hops, in order. */
export function parseServedBy(header: string | undefined): string[] {
  if (header === undefined || header.trim() === '') return [];
  return header
    .split(/,\s*(?=[^,()]+@)/)
    .map((hop) => hop.trim())
    .filter((hop) => hop !== '');
}
