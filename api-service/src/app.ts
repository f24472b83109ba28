import { canaryFastifyPlugin, type ServiceIdentity } from 'canary-context';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { Registry } from 'prom-client';
import { type Logger, tracingFastifyPlugin } from 'service-kit';
import type { Authenticate } from './auth.ts';
import { answerClientError } from './errors.ts';
import { itemRoutes } from './items/routes.ts';
import { corsAllowList } from './plugins/cors.ts';
import { errorAnswers } from './plugins/error-answers.ts';
import { type Faults, faultInjection } from './plugins/faults.ts';
import { openApiDocument } from './plugins/openapi.ts';
import { type Readiness, readinessProbes } from './plugins/readiness.ts';
import { requestLog } from './plugins/request-log.ts';
import { responseHeaders } from './plugins/response-headers.ts';
import { strictJsonBodies } from './plugins/strict-json.ts';
import type { Store } from './store-client.ts';

export interface AppOptions {
  readonly identity: ServiceIdentity;
  readonly store: Store;
  /** Who a request comes from (jwtAuthenticator; headerAuthenticator only without an issuer). */
  readonly authenticate: Authenticate;
  /** Deliberate faults on /v1 (FAULT_DELAY_MS, FAULT_ERROR_RATIO); none by default. */
  readonly faults?: Faults;
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

/** The server's settings: limits, logging, draining, and errors before routing in the API's shape. */
function serverOptions(logger: Logger) {
  return {
    loggerInstance: logger as FastifyBaseLogger,
    // Fastify's own request lines are replaced by one line per request (plugins/request-log.ts).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    // Requests that arrive on kept-alive connections while draining are still served.
    return503OnClosing: false,
    forceCloseConnections: 'idle' as const,
    // Errors node's HTTP parser finds before Fastify sees a request (414, 431, malformed)
    // get the API's JSON error shape too, never node's plain text or an empty answer.
    clientErrorHandler: answerClientError,
    // URLs the router refuses (a bad %-escape, an over-long id): the same JSON shape.
    frameworkErrors: (error: FastifyError, _request: FastifyRequest, frameworkReply: FastifyReply) => {
      const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
      frameworkReply
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
  };
}

/**
 * Builds the API without listening: tests call it in-process, main.ts serves it. Each
 * plugin does one job; the order is the order of their hooks on every request.
 */
export async function buildApp(options: AppOptions): Promise<ApiApp> {
  const app = Fastify(serverOptions(options.logger));
  const state: Readiness = { ready: true };
  await app.register(errorAnswers);
  await app.register(strictJsonBodies);
  // The request's span first: the canary plugin carries the async context (span included)
  // across body parsing.
  await app.register(tracingFastifyPlugin, { ignore: ['/healthz', '/readyz'] });
  await app.register(canaryFastifyPlugin, { identity: options.identity });
  await app.register(corsAllowList, { origins: options.corsOrigins });
  await app.register(openApiDocument, { version: options.identity.version });
  await app.register(requestLog, { registry: options.registry });
  await app.register(faultInjection, options.faults ?? { delayMs: 0, errorRatio: 0 });
  await app.register(responseHeaders);
  await app.register(readinessProbes, { state, store: options.store, deadlineMs: options.readyDeadlineMs });
  await app.register(itemRoutes(options.store, options.authenticate));
  return {
    app,
    markNotReady() {
      state.ready = false;
    },
  };
}
