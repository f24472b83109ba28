import { AsyncResource } from 'node:async_hooks';
import type { FastifyPluginCallback } from 'fastify';
import fp from 'fastify-plugin';
import { type CanaryContext, createCanaryContext, runWithCanaryContext } from './context.ts';
import { SERVED_BY_HEADER, type ServiceIdentity, servedByEntry } from './identity.ts';
import { CANARY_ECHO_HEADER, CANARY_ERROR_HEADER, CANARY_HEADER, parseCanaryKey } from './key.ts';

export interface CanaryFastifyOptions {
  readonly identity: ServiceIdentity;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's canary context (also the current AsyncLocalStorage store). */
    canary: CanaryContext;
  }
}

const resourceKey = Symbol('canary-context-resource');
type WithResource = { [resourceKey]?: AsyncResource };

/**
 * Fastify plugin for the edge of a service: reads `X-Canary`, answers `X-Canary-Echo` or
 * `X-Canary-Error`, keeps the key as the request's context for outgoing gRPC calls, and
 * answers `X-Served-By` with this service's entry followed by every downstream entry.
 */
const plugin: FastifyPluginCallback<CanaryFastifyOptions> = (app, options, done) => {
  const ownEntry = servedByEntry(options.identity);

  app.decorateRequest('canary', undefined as unknown as CanaryContext);

  app.addHook('onRequest', (request, reply, next) => {
    const parsed = parseCanaryKey(request.headers[CANARY_HEADER]);
    if (parsed.kind === 'valid') reply.header(CANARY_ECHO_HEADER, parsed.key);
    if (parsed.kind === 'invalid') reply.header(CANARY_ERROR_HEADER, parsed.error);
    const context = createCanaryContext(parsed.kind === 'valid' ? parsed.key : undefined);
    request.canary = context;
    runWithCanaryContext(context, () => {
      // Body parsing continues in the socket's async context; the resource carries ours
      // over to the handler (see preValidation).
      (request as WithResource)[resourceKey] = new AsyncResource('canary-context');
      next();
    });
  });

  app.addHook('preValidation', (request, _reply, next) => {
    const resource = (request as WithResource)[resourceKey];
    if (resource === undefined) next();
    else resource.runInAsyncScope(next);
  });

  app.addHook('onSend', (request, reply, payload, next) => {
    const hops = request.canary === undefined ? [] : request.canary.downstream;
    reply.header(SERVED_BY_HEADER, [ownEntry, ...hops].join(', '));
    next(null, payload);
  });

  done();
};

export const canaryFastifyPlugin = fp(plugin, { name: 'canary-context', fastify: '5.x' });
