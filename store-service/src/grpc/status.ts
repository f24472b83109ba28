import { Metadata, type ServiceError, status } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { StoreError, type StoreErrorCode } from '../domain/errors.ts';

const codes: Record<StoreErrorCode, status> = {
  invalid_argument: status.INVALID_ARGUMENT,
  not_found: status.NOT_FOUND,
  already_exists: status.ALREADY_EXISTS,
  aborted: status.ABORTED,
  failed_precondition: status.FAILED_PRECONDITION,
  unavailable: status.UNAVAILABLE,
  internal: status.INTERNAL,
};

/** Names of AWS SDK errors that mean the data store is briefly unable to serve. */
const TRANSIENT = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
]);

/**
 * The one place a failure becomes a gRPC status. StoreErrors keep their code and message
 * (plus `x-field` for invalid arguments); data-store outages are UNAVAILABLE; anything else
 * is logged and answered INTERNAL without details.
 */
export function toServiceError(err: unknown, logger: Logger): Partial<ServiceError> {
  if (err instanceof StoreError) {
    const metadata = new Metadata();
    if (err.field !== undefined) metadata.set('x-field', err.field);
    return { code: codes[err.code], details: err.message, metadata };
  }
  const name = err instanceof Error ? err.name : '';
  const networkCode = (err as { code?: unknown } | null)?.code;
  if (
    TRANSIENT.has(name) ||
    networkCode === 'ECONNREFUSED' ||
    networkCode === 'ECONNRESET' ||
    networkCode === 'EPIPE'
  ) {
    logger.warn({ err }, 'data store unavailable');
    return {
      code: status.UNAVAILABLE,
      details:
        'data store unavailable or did not answer in time; a change may or may not have been applied: re-read before retrying',
    };
  }
  logger.error({ err }, 'unexpected error');
  return { code: status.INTERNAL, details: 'internal error' };
}
