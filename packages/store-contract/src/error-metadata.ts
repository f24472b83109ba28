import { Metadata } from '@grpc/grpc-js';

/**
 * What a failed store call says beyond its status code, as gRPC response metadata: whether
 * a write was applied, and which request field was at fault. The store (and the lab's mesh,
 * for calls it could not deliver) writes it; the api reads it. Callers decide on these
 * values, never on the status message, which is for people.
 */

/** Metadata key: the outcome of a failed write (one of WRITE_OUTCOMES). */
export const OUTCOME_METADATA_KEY = 'x-outcome';
/** Metadata key: the request field at fault (INVALID_ARGUMENT, ALREADY_EXISTS), in its proto name. */
export const FIELD_METADATA_KEY = 'x-field';

export const WRITE_OUTCOMES = ['applied', 'not_applied', 'unknown'] as const;
/**
 * - `not_applied`: refused or never delivered; nothing changed, a retry is a new attempt.
 * - `unknown`: the change may or may not have landed; retry with the same request id.
 * - `applied`: the change landed even though the call failed.
 */
export type WriteOutcome = (typeof WRITE_OUTCOMES)[number];

export interface ErrorDetails {
  readonly outcome?: WriteOutcome;
  readonly field?: string;
}

/** Writes the error details into `metadata` (a new Metadata when none is given). */
export function errorMetadata(details: ErrorDetails, metadata = new Metadata()): Metadata {
  if (details.outcome !== undefined) metadata.set(OUTCOME_METADATA_KEY, details.outcome);
  if (details.field !== undefined) metadata.set(FIELD_METADATA_KEY, details.field);
  return metadata;
}

/** The same details as plain header entries, for a proxy writing HTTP/2 trailers itself. */
export function errorHeaders(details: ErrorDetails): Record<string, string> {
  const headers: Record<string, string> = {};
  if (details.outcome !== undefined) headers[OUTCOME_METADATA_KEY] = details.outcome;
  if (details.field !== undefined) headers[FIELD_METADATA_KEY] = details.field;
  return headers;
}

const first = (metadata: Metadata | undefined, key: string): string | undefined => {
  const value = metadata?.get(key)[0];
  return typeof value === 'string' ? value : undefined;
};

const isOutcome = (value: string | undefined): value is WriteOutcome =>
  (WRITE_OUTCOMES as readonly string[]).includes(value ?? '');

/** The error details a failed call carried; absent or unrecognised values are undefined. */
export function readErrorDetails(metadata: Metadata | undefined): ErrorDetails {
  const outcome = first(metadata, OUTCOME_METADATA_KEY);
  const field = first(metadata, FIELD_METADATA_KEY);
  return {
    ...(isOutcome(outcome) ? { outcome } : {}),
    ...(field === undefined ? {} : { field }),
  };
}
