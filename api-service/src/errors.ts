import { type ServiceError, status } from '@grpc/grpc-js';
import type { FastifyError, FastifyInstance } from 'fastify';

/** An error the API answers as `{"error":{"code","message"[,"field"]}}` with an HTTP status. */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly statusCode: number;
  readonly code: string;
  readonly field: string | undefined;

  constructor(statusCode: number, code: string, message: string, field?: string) {
    super(message);
    this.statusCode = statusCode;
    this.code = code;
    this.field = field;
  }
}

/** gRPC status → HTTP status and error code: the one table for the whole API. */
const grpcToHttp: Partial<Record<status, [number, string]>> = {
  [status.INVALID_ARGUMENT]: [400, 'invalid_argument'],
  [status.OUT_OF_RANGE]: [400, 'invalid_argument'],
  [status.NOT_FOUND]: [404, 'not_found'],
  [status.ALREADY_EXISTS]: [409, 'already_exists'],
  [status.ABORTED]: [409, 'version_conflict'],
  [status.FAILED_PRECONDITION]: [409, 'failed_precondition'],
  [status.RESOURCE_EXHAUSTED]: [429, 'resource_exhausted'],
  [status.UNAUTHENTICATED]: [401, 'unauthenticated'],
  [status.PERMISSION_DENIED]: [403, 'permission_denied'],
  [status.UNAVAILABLE]: [503, 'unavailable'],
  [status.DEADLINE_EXCEEDED]: [504, 'deadline_exceeded'],
  [status.CANCELLED]: [503, 'unavailable'],
};

/** Whose message may be shown to a client: the store's own 4xx explanations. */
const SHOW_DETAILS = new Set([
  status.INVALID_ARGUMENT,
  status.OUT_OF_RANGE,
  status.NOT_FOUND,
  status.ALREADY_EXISTS,
  status.ABORTED,
  status.FAILED_PRECONDITION,
]);

function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as ServiceError).code === 'number' && 'metadata' in err;
}

/**
 * @param canaryRequest the request carried an accepted X-Canary key: it came through the
 * guarded path from someone testing a canary, who is told why the store hop failed (for
 * example that PR 7's store is down and the mesh does not fall back).
 */
export function fromGrpc(err: ServiceError, canaryRequest = false): ApiError {
  const [httpStatus, code] = grpcToHttp[err.code as status] ?? [500, 'internal'];
  const field = err.metadata?.get('x-field')[0];
  const why = canaryRequest && err.details !== '' ? ` (${err.details})` : '';
  const message = SHOW_DETAILS.has(err.code)
    ? err.details
    : httpStatus === 503
      ? `store unavailable, retry later${why}`
      : httpStatus === 504
        ? `store did not answer in time${why}`
        : 'internal error';
  return new ApiError(httpStatus, code, message, typeof field === 'string' ? field : undefined);
}

const fastifyCodes: Record<number, string> = {
  400: 'invalid_argument',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  431: 'headers_too_large',
};

/**
 * The API's one error handler: every failure becomes the same JSON shape. 5xx answers
 * never carry internals; they are logged with the error instead.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | ApiError | ServiceError | Error, request, reply) => {
    let error: ApiError;
    if (err instanceof ApiError) error = err;
    else if (isServiceError(err)) error = fromGrpc(err, request.canary?.key !== undefined);
    else if ('validation' in err && err.validation !== undefined) {
      const first = err.validation[0];
      const where = (err as FastifyError).validationContext ?? 'request';
      const path = first?.instancePath.replace(/^\//, '').replaceAll('/', '.') ?? '';
      const extra = (first?.params as { additionalProperty?: string } | undefined)?.additionalProperty;
      const field = extra ?? (path === '' ? undefined : path);
      const message = extra === undefined ? (first?.message ?? 'is invalid') : 'is not a known field';
      error = new ApiError(
        400,
        'invalid_argument',
        `${where}${field === undefined ? '' : `.${field}`}: ${message}`,
        field,
      );
    } else {
      const statusCode = (err as FastifyError).statusCode ?? 500;
      error =
        statusCode >= 400 && statusCode < 500
          ? new ApiError(statusCode, fastifyCodes[statusCode] ?? 'bad_request', err.message)
          : new ApiError(500, 'internal', 'internal error');
    }
    if (error.statusCode >= 500) request.log.error({ err }, 'request failed');
    reply
      .code(error.statusCode)
      .type('application/json')
      .send({
        error: {
          code: error.code,
          message: error.message,
          ...(error.field === undefined ? {} : { field: error.field }),
        },
      });
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({
      error: { code: 'not_found', message: `no route for ${request.method} ${request.url.split('?')[0]}` },
    });
  });
}
