import { type ServiceError, status } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { errorMetadata } from 'store-contract';
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

/**
 * The one place a failure becomes a gRPC status, with the contract's error metadata (the
 * caller decides on that, never on the message). Refused calls keep their code (no or bad
 * token, another tenant); StoreErrors keep their code and message and name their field;
 * both changed nothing. Data-store outages are UNAVAILABLE: refused by DynamoDB, nothing
 * changed; cut after the request may have reached it, a write's outcome is unknown.
 * Anything else is logged and answered INTERNAL without details, a write's outcome unknown.
 */
export function toServiceError(err: unknown, logger: Logger, write = false): Partial<ServiceError> {
  if (err instanceof CallRefused)
    return { code: err.code, details: err.message, metadata: errorMetadata({ outcome: 'not_applied' }) };
  if (err instanceof StoreError) {
    const field = err.field === undefined ? {} : { field: err.field };
    return {
      code: codes[err.code],
      details: err.message,
      metadata: errorMetadata({ outcome: 'not_applied', ...field }),
    };
  }
  const name = err instanceof Error ? err.name : '';
  const networkCode = String((err as { code?: unknown } | null)?.code ?? '');
  const unknown = UNKNOWN_OUTCOME.has(name) || UNKNOWN_OUTCOME_CODES.has(networkCode);
  if (unknown || REFUSED.has(name) || networkCode === 'ECONNREFUSED') {
    logger.warn({ err }, 'data store unavailable');
    if (write && unknown)
      return {
        code: status.UNAVAILABLE,
        details: 'the data store did not confirm the change: it may or may not have been applied',
        metadata: errorMetadata({ outcome: 'unknown' }),
      };
    return {
      code: status.UNAVAILABLE,
      details: 'data store unavailable; nothing was changed',
      metadata: errorMetadata({ outcome: 'not_applied' }),
    };
  }
  logger.error({ err }, 'unexpected error');
  return {
    code: status.INTERNAL,
    details: 'internal error',
    metadata: errorMetadata({ outcome: write ? 'unknown' : 'not_applied' }),
  };
}
