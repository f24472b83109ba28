import { type ServiceError, status } from '@grpc/grpc-js';
import type { FastifyError, FastifyInstance } from 'fastify';
import { lingeringClose } from 'service-kit/lingering-close';
import { readErrorDetails } from 'store-contract';
import type { StoreCallError } from './store-client.ts';

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
export function fromGrpc(err: StoreCallError, canaryRequest = false): ApiError {
  // A write that may have landed ('unknown', or 'applied' despite the failure): never "retry later".
  if (err.outcome !== undefined && err.outcome !== 'not_applied') {
    const why = canaryRequest && err.details !== '' ? ` (${err.details})` : '';
    return new ApiError(
      err.code === status.DEADLINE_EXCEEDED ? 504 : 503,
      'outcome_unknown',
      `the store did not confirm this change: it may have been applied. Retry with the same Idempotency-Key (creates, stock changes), or re-read the item before changing it again${why}`,
    );
  }
  const [httpStatus, code] = grpcToHttp[err.code as status] ?? [500, 'internal'];
  const { field } = readErrorDetails(err.metadata);
  const why = canaryRequest && err.details !== '' ? ` (${err.details})` : '';
  const message = SHOW_DETAILS.has(err.code)
    ? err.details
    : httpStatus === 503
      ? `store unavailable, retry later${why}`
      : httpStatus === 504
        ? `store did not answer in time${why}`
        : 'internal error';
  return new ApiError(httpStatus, code, message, field);
}

const fastifyCodes: Record<number, string> = {
  400: 'invalid_argument',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  411: 'length_required',
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  431: 'headers_too_large',
};

/** Messages of our own for framework errors: Fastify's texts name its internals or echo input. */
const fastifyMessages: Record<number, string> = {
  405: 'method not allowed on this path',
  411: 'send Content-Length with the body',
  413: 'the body is larger than 1 MiB',
  414: 'the URL is too long',
  415: 'send the body as JSON, with Content-Type: application/json',
  431: 'the request headers are too large',
};

/**
 * An oversized body is refused from its Content-Length, before it is read. Fastify then
 * closes the connection, and a proxy still uploading (the lab's edge, Traefik) meets a
 * reset that can discard the 413 before it reads it, answering 502 instead. Up to this
 * size the rest of the body is read and dropped instead (node does that once the answer
 * is sent on a kept-alive connection), so the client gets the 413; larger uploads are
 * answered and the connection closed, lingering (lingerBeforeClosing) so the 413 is read.
 */
const DRAIN_LIMIT = 16 * 1024 * 1024;

/** Fastify's own 400s by code, in words (its messages name internals). */
const fastifyBadRequests: Record<string, string> = {
  FST_ERR_CTP_EMPTY_JSON_BODY: 'the JSON body is empty',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'Content-Length does not match the body',
};

/** One ajv error as validation reports it (with `verbose`, the schema it failed). */
interface SchemaError {
  readonly keyword: string;
  readonly instancePath: string;
  readonly params: Record<string, unknown>;
  readonly message?: string;
  readonly parentSchema?: Record<string, unknown>;
}

const TYPE_WORDS: Record<string, string> = {
  integer: 'a whole number',
  number: 'a number',
  string: 'text',
  boolean: 'true or false',
  object: 'a JSON object',
  array: 'a list',
};

/** The field at fault and what is wrong with it, in words: ranges, allowed values, rules. */
export function describeSchemaError(error: SchemaError): { field: string | undefined; problem: string } {
  const path = error.instancePath.replace(/^\//, '').replaceAll('/', '.');
  const at = path === '' ? undefined : path;
  const schema = error.parentSchema ?? {};
  const described = typeof schema.description === 'string' ? schema.description : undefined;
  const { minimum, maximum } = schema as { minimum?: number; maximum?: number };
  switch (error.keyword) {
    case 'required':
      return { field: String(error.params.missingProperty), problem: 'is required' };
    case 'additionalProperties':
      return { field: String(error.params.additionalProperty), problem: 'is not a known field' };
    case 'enum':
      return {
        field: at,
        problem: `must be one of: ${(error.params.allowedValues as unknown[]).join(', ')}`,
      };
    case 'type':
      return {
        field: at,
        problem: `must be ${TYPE_WORDS[String(error.params.type)] ?? String(error.params.type)}`,
      };
    case 'minimum':
    case 'maximum':
      return {
        field: at,
        problem:
          minimum !== undefined && maximum !== undefined
            ? `must be from ${minimum} to ${maximum}`
            : error.keyword === 'minimum'
              ? `must be at least ${minimum}`
              : `must be at most ${maximum}`,
      };
    case 'minLength':
      return {
        field: at,
        problem:
          error.params.limit === 1
            ? 'must not be empty'
            : `must be at least ${error.params.limit} characters`,
      };
    case 'maxLength':
      return { field: at, problem: `must be at most ${error.params.limit} characters` };
    case 'maxItems':
      return { field: at, problem: `must hold at most ${error.params.limit} items` };
    case 'minProperties':
      return { field: at, problem: 'must name at least one field' };
    default:
      return {
        field: at,
        problem: described === undefined ? (error.message ?? 'is not valid') : `must be ${described}`,
      };
  }
}

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
      const where = (err as FastifyError).validationContext ?? 'request';
      const first = err.validation[0] as SchemaError | undefined;
      const { field, problem } =
        first === undefined ? { field: undefined, problem: 'is not valid' } : describeSchemaError(first);
      error = new ApiError(
        400,
        'invalid_argument',
        `${where}${field === undefined ? '' : `.${field}`}: ${problem}`,
        field,
      );
    } else {
      const statusCode = (err as FastifyError).statusCode ?? 500;
      error =
        statusCode >= 400 && statusCode < 500
          ? new ApiError(
              statusCode,
              fastifyCodes[statusCode] ?? 'bad_request',
              fastifyMessages[statusCode] ??
                fastifyBadRequests[(err as FastifyError).code ?? ''] ??
                (statusCode === 400 ? 'the body is not valid JSON' : 'bad request'),
            )
          : new ApiError(500, 'internal', 'internal error');
    }
    if (error.statusCode >= 500) request.log.error({ err }, 'request failed');
    const challenge = (err as { challenge?: unknown }).challenge;
    if (typeof challenge === 'string') reply.header('www-authenticate', challenge);
    if (
      (err as FastifyError).code === 'FST_ERR_CTP_BODY_TOO_LARGE' &&
      Number(request.headers['content-length'] ?? Number.POSITIVE_INFINITY) <= DRAIN_LIMIT
    )
      reply.removeHeader('connection');
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

  // The path is not echoed back (it is the client's input); the document lists the routes.
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({
      error: { code: 'not_found', message: `no route for this ${request.method}: see /openapi.json` },
    });
  });
}

/**
 * Every connection this server closes after an answer (`Connection: close`: a 413 to an
 * upload past DRAIN_LIMIT or sent chunked) is closed with a lingering close: node's own
 * close would reset a connection that still has unread bytes, and a client (or the edge)
 * still uploading then loses the answer unread: no answer, or a 502 at the edge.
 */
export function lingerBeforeClosing(server: import('node:http').Server): void {
  server.on('connection', (socket: import('node:net').Socket) => {
    socket.destroySoon = () => lingeringClose(socket);
  });
}

/** What node's parser refused, as the API's JSON error (the request never reached a route). */
export function answerClientError(err: Error & { code?: string }, socket: import('node:net').Socket): void {
  const [status, code, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'headers_too_large', fastifyMessages[431]]
      : err.code === 'HPE_URI_TOO_LONG' || /URI Too Long/i.test(err.message)
        ? [414, 'uri_too_long', fastifyMessages[414]]
        : [400, 'bad_request', 'the request is not valid HTTP'];
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify({ error: { code, message } });
  const reason =
    status === 431 ? 'Request Header Fields Too Large' : status === 414 ? 'URI Too Long' : 'Bad Request';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nX-Content-Type-Options: nosniff\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
