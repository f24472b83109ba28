/** HTTP request header that carries the routing key (a PR number). */
export const CANARY_HEADER = 'x-canary';
/** gRPC metadata key that carries the same routing key. */
export const CANARY_METADATA_KEY = 'x-canary';
/** HTTP response header that echoes an accepted key. */
export const CANARY_ECHO_HEADER = 'x-canary-echo';
/** HTTP response header that explains why a key was ignored. */
export const CANARY_ERROR_HEADER = 'x-canary-error';

/** Longest raw value inspected; anything longer is rejected without parsing it. */
export const MAX_RAW_KEY_LENGTH = 64;

/** A PR number as text, unanchored: 1 to 9999999999, no leading zero. */
export const PR_NUMBER_PATTERN = '[1-9][0-9]{0,9}';
/** A PR number as the routing key carries it. */
export const PR_NUMBER = new RegExp(`^${PR_NUMBER_PATTERN}$`);
/** The largest PR number a key can carry. */
export const MAX_PR_NUMBER = 9_999_999_999;

/** True when `value` is a PR number in its canonical form (what `X-Canary` carries). */
export function isPrNumber(value: string): boolean {
  return PR_NUMBER.test(value);
}

/** Why a key was ignored; sent back verbatim in `X-Canary-Error` (never the value itself). */
export type CanaryKeyError = 'multiple-values' | 'too-long' | 'not-a-pr-number';

export type ParsedCanaryKey =
  | { readonly kind: 'absent' }
  | { readonly kind: 'valid'; readonly key: string }
  | { readonly kind: 'invalid'; readonly error: CanaryKeyError };

const ABSENT: ParsedCanaryKey = Object.freeze({ kind: 'absent' });

/**
 * Parses a routing key as it arrives in an HTTP header or gRPC metadata.
 *
 * A key is a PR number, `^[1-9][0-9]{0,9}$` after trimming spaces and tabs. A missing or
 * empty value is absent (that is how a public entrypoint strips it). Several values,
 * including one header line holding a comma-separated list, are invalid: the request is
 * ambiguous and must not be steered into any canary.
 */
export function parseCanaryKey(raw: string | readonly string[] | undefined | null): ParsedCanaryKey {
  if (raw === undefined || raw === null) return ABSENT;
  if (typeof raw !== 'string') {
    const present = raw.filter((v) => v.trim() !== '');
    if (present.length === 0) return ABSENT;
    if (present.length > 1) return { kind: 'invalid', error: 'multiple-values' };
    return parseCanaryKey(present[0]);
  }
  if (raw.length > MAX_RAW_KEY_LENGTH) return { kind: 'invalid', error: 'too-long' };
  const value = raw.replace(/^[ \t]+|[ \t]+$/g, '');
  if (value === '') return ABSENT;
  if (value.includes(',')) return { kind: 'invalid', error: 'multiple-values' };
  if (!PR_NUMBER.test(value)) return { kind: 'invalid', error: 'not-a-pr-number' };
  return { kind: 'valid', key: value };
}
