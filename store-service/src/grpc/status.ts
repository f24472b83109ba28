import { Metadata, type ServiceError, status } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { StoreError, type StoreErrorCode } from '../domain/errors.ts';
import { CallRefused } from './caller.ts';

const codes: Record<StoreErrorCode, status> = {
  invalid_argument: status.INVALID_ARGUMENT,
  not_found: status.NOT_FOUND,
  already_exists: status.ALREADY_EXISTS,
  aborted: status.ABORTED,
  failed_precondition: status.FAILED_PRECONDITION,
  unavailable: status.UNAVAILABLE,
  internal: status.INTERNAL,
};

/** AWS SDK errors that mean DynamoDB refused the request: nothing was applied. */
const REFUSED = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
]);
/** Failures after the request may have reached DynamoDB: a write may or may not have landed. */
const UNKNOWN_OUTCOME = new Set(['InternalServerError', 'ServiceUnavailable', 'TimeoutError', 'AbortError']);
const UNKNOWN_OUTCOME_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

/** Response metadata that tells the caller a write's outcome is unknown (retry with the same key). */
export const OUTCOME_METADATA_KEY = 'x-outcome';

/**
 * The one place a failure becomes a gRPC status. Refused calls keep their code (no or bad
 * token, another tenant); StoreErrors keep their code and message
 * (plus `x-field` for invalid arguments); data-store outages are UNAVAILABLE, and for a
 * write whose outcome is unknown the metadata says so (`x-outcome: unknown`); anything
 * else is logged and answered INTERNAL without details.
 */
export function toServiceError(err: unknown, logger: Logger, write = false): Partial<ServiceError> {
  if (err instanceof CallRefused) return { code: err.code, details: err.message };
  if (err instanceof StoreError) {
    const metadata = new Metadata();
    if (err.field !== undefined) metadata.set('x-field', err.field);
    return { code: codes[err.code], details: err.message, metadata };
  }
  const name = err instanceof Error ? err.name : '';
  const networkCode = String((err as { code?: unknown } | null)?.code ?? '');
  const unknown = UNKNOWN_OUTCOME.has(name) || UNKNOWN_OUTCOME_CODES.has(networkCode);
  if (unknown || REFUSED.has(name) || networkCode === 'ECONNREFUSED') {
    logger.warn({ err }, 'data store unavailable');
    if (write && unknown) {
      const metadata = new Metadata();
      metadata.set(OUTCOME_METADATA_KEY, 'unknown');
      return {
        code: status.UNAVAILABLE,
        details: 'the data store did not confirm the change: it may or may not have been applied',
        metadata,
      };
    }
    return { code: status.UNAVAILABLE, details: 'data store unavailable; nothing was changed' };
  }
  logger.error({ err }, 'unexpected error');
  return { code: status.INTERNAL, details: 'internal error' };
}
