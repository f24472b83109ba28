/** The store's one error type: a code the gRPC layer maps to a status, and a safe message. */
export type StoreErrorCode =
  | 'invalid_argument'
  | 'not_found'
  | 'already_exists'
  | 'aborted'
  | 'failed_precondition'
  | 'unavailable'
  | 'internal';

export class StoreError extends Error {
  override name = 'StoreError';
  readonly code: StoreErrorCode;
  /** The request field at fault, for invalid_argument. */
  readonly field: string | undefined;

  constructor(code: StoreErrorCode, message: string, options?: { field?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.field = options?.field;
  }
}

export function invalidArgument(field: string, problem: string): StoreError {
  return new StoreError('invalid_argument', `${field}: ${problem}`, { field });
}
