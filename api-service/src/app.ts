import cors, { type FastifyCorsOptions } from '@fastify/cors';
import swagger from '@fastify/swagger';
import {
  CANARY_ECHO_HEADER,
  CANARY_ERROR_HEADER,
  CANARY_HEADER,
  canaryFastifyPlugin,
  SERVED_BY_HEADER,
  type ServiceIdentity,
} from 'canary-context';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { Registry } from 'prom-client';
import { httpServerMetrics, type Logger, tracingFastifyPlugin } from 'service-kit';
import type { Authenticate } from './auth.ts';
import { ApiError, answerClientError, installErrorHandler, lingerBeforeClosing } from './errors.ts';
import { itemRoutes } from './items/routes.ts';
import { ErrorJson, ItemJson } from './items/schemas.ts';
import type { Store } from './store-client.ts';

export interface AppOptions {
  readonly identity: ServiceIdentity;
  readonly store: Store;
  /** Who a request comes from (jwtAuthenticator; headerAuthenticator only without an issuer). */
  readonly authenticate: Authenticate;
  /** Deliberate faults on /v1 (FAULT_DELAY_MS, FAULT_ERROR_RATIO); none by default. */
  readonly faults?: { readonly delayMs: number; readonly errorRatio: number };
  readonly logger: Logger;
  /** Origins allowed cross-origin access; none when empty. */
  readonly corsOrigins: readonly string[];
  readonly readyDeadlineMs: number;
  /** Where request metrics go (the service's /metrics registry). */
  readonly registry?: Registry;
}

export interface ApiApp {
  readonly app: FastifyInstance;
  /** From now on /readyz answers 503 (used while draining on SIGTERM). */
  markNotReady(): void;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });
/** Half of a surrogate pair on its own: no Unicode character (JSON can write one as "\ud800"). */
const LONE_SURROGATE = /\p{Cs}/u;

/** Whether every string in a parsed JSON value (keys included) is Unicode text. */
function wellFormed(value: unknown): boolean {
  if (typeof value === 'string') return !LONE_SURROGATE.test(value);
  if (Array.isArray(value)) return value.every(wellFormed);
  if (typeof value === 'object' && value !== null)
    return Object.entries(value).every(([key, v]) => !LONE_SURROGATE.test(key) && wellFormed(v));
  return true;
}

/**
 * Fastify's JSON parser, on a body that is UTF-8 text: its default decodes bytes that are
 * not (0xC3 0x28, overlong forms, surrogates encoded on their own) as U+FFFD, and the item
 * would be stored with replacement characters the client never sent.
 */
type ParseDone = (err: Error | null, body?: unknown) => void;
type BodyParser<Raw> = (request: FastifyRequest, body: Raw, done: ParseDone) => void;

function jsonBodyParser(app: FastifyInstance): BodyParser<Buffer> {
  // The default is the callback form (it parses with prototype poisoning refused).
  const parse = app.getDefaultJsonParser('error', 'error') as BodyParser<string>;
  return (request, body, done) => {
    let text: string;
    try {
      text = UTF8.decode(body);
    } catch {
      done(new ApiError(400, 'invalid_argument', 'the body is not valid UTF-8'), undefined);
      return;
    }
    parse(request, text, (err, parsed) => {
      if (err === null && !wellFormed(parsed)) {
        const message = 'the body holds a lone surrogate (\\uD800-\\uDFFF): not Unicode text';
        done(new ApiError(400, 'invalid_argument', message), undefined);
        return;
      }
      done(err, parsed);
    });
  };
}

/** Builds the API without listening: tests call it in-process, main.ts serves it. */
export async function buildApp(options: AppOptions): Promise<ApiApp> {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    // Fastify's own request lines are replaced by one line per request (onResponse below).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    // Requests that arrive on kept-alive connections while draining are still served.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    // Errors node's HTTP parser finds before Fastify sees a request (414, 431, malformed)
    // get the API's JSON error shape too, never node's plain text or an empty answer.
    clientErrorHandler: answerClientError,
    // URLs the router refuses (a bad %-escape, an over-long id): the same JSON shape.
    frameworkErrors: (error, _request, frameworkReply) => {
      const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
      (frameworkReply as FastifyReply)
        .code(tooLong ? 414 : 400)
        .header('x-content-type-options', 'nosniff')
        .type('application/json')
        .send({
          error: tooLong
            ? { code: 'uri_too_long', message: 'the URL is too long' }
            : { code: 'invalid_argument', message: 'the URL is not valid (a bad %-escape?)' },
        });
    },
    ajv: {
      // verbose: errors carry the failing schema, whose description says the rule in words.
      customOptions: {
        removeAdditional: false,
        coerceTypes: false,
        useDefaults: false,
        allErrors: false,
        verbose: true,
      },
    },
  });
  let ready = true;

  installErrorHandler(app);
  lingerBeforeClosing(app.server);
  // JSON only: any other body type is 415, not a string the schema then rejects.
  app.removeContentTypeParser('text/plain');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, jsonBodyParser(app));
  app.addSchema(ItemJson);
  app.addSchema(ErrorJson);
  // The request's span first: the canary plugin carries the async context (span included)
  // across body parsing.
  await app.register(tracingFastifyPlugin, { ignore: ['/healthz', '/readyz'] });
  await app.register(canaryFastifyPlugin, { identity: options.identity });
  // CORS from an allow-list, never `*`: a request from any other origin (preflight or
  // not) gets no Access-Control-* header at all.
  const corsAllowed = {
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    allowedHeaders: [
      'content-type',
      CANARY_HEADER,
      'x-tenant-id',
      'x-user-id',
      'if-match',
      'idempotency-key',
      'baggage',
      'traceparent',
      'tracestate',
    ],
    exposedHeaders: [
      SERVED_BY_HEADER,
      CANARY_ECHO_HEADER,
      CANARY_ERROR_HEADER,
      'etag',
      'location',
      'idempotent-replayed',
    ],
    maxAge: 600,
  };
  await app.register(
    cors,
    () => (request: FastifyRequest, callback: (error: Error | null, options: FastifyCorsOptions) => void) => {
      const origin = request.headers.origin;
      const listed = origin !== undefined && options.corsOrigins.includes(origin);
      callback(null, listed ? { ...corsAllowed, origin } : { origin: false });
    },
  );

  await app.register(swagger, {
    // Components are named by their $id (Item, Error, …), never def-0.
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `Schema${i}`,
    },
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'api-service',
        version: options.identity.version,
        description: 'Items REST API. Send X-Canary: <PR number> to reach that PR’s canaries at every hop.',
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
      servers: [
        {
          url: 'http://localhost:8080',
          description: 'the lab (npm start); a cluster serves it on its API host',
        },
      ],
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description:
              'from the environment’s issuer: the `tenant` claim names the tenant, `sub` the author',
          },
        },
      },
      security: [{ bearer: [] }],
    },
  });

  // One line and one observation per request: no bodies, no headers, the route template
  // rather than the raw path (ids never become labels).
  const metrics = options.registry === undefined ? undefined : httpServerMetrics(options.registry);
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    request.log.info(
      {
        method: request.method,
        route,
        status: reply.statusCode,
        duration_ms: Math.round(reply.elapsedTime * 10) / 10,
      },
      'request',
    );
    if (metrics !== undefined) {
      const labels = { method: request.method, route, status_code: String(reply.statusCode) };
      metrics.requests.inc(labels);
      metrics.duration.observe(labels, reply.elapsedTime / 1000);
    }
    done();
  });

  const faults = options.faults;
  if (faults !== undefined && (faults.delayMs > 0 || faults.errorRatio > 0)) {
    options.logger.warn(faults, 'fault injection on: requests to /v1 are delayed or fail on purpose');
    app.addHook('onRequest', async (request) => {
      if (!request.url.startsWith('/v1/')) return;
      if (faults.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, faults.delayMs));
      if (Math.random() < faults.errorRatio)
        throw new ApiError(500, 'fault_injected', 'a fault injected on purpose (FAULT_ERROR_RATIO)');
    });
  }

  // Every answer (errors and 404s included): no MIME sniffing; tenant data is never
  // stored by caches.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-content-type-options', 'nosniff');
    if (request.url.startsWith('/v1/')) reply.header('cache-control', 'no-store');
    done();
  });

  // While draining, each response closes its connection, so keep-alive clients move to
  // another instance and the server can finish closing.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (!ready) reply.header('connection', 'close');
    done(null, payload);
  });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    const storeServing = ready && (await options.store.isServing(options.readyDeadlineMs));
    return reply
      .code(storeServing ? 200 : 503)
      .send({ status: storeServing ? 'ready' : 'not ready', store: storeServing });
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(itemRoutes(options.store, options.authenticate));

  return {
    app,
    markNotReady() {
      ready = false;
    },
  };
}
