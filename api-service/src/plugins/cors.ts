import cors, { type FastifyCorsOptions } from '@fastify/cors';
import { CANARY_ECHO_HEADER, CANARY_ERROR_HEADER, CANARY_HEADER, SERVED_BY_HEADER } from 'canary-context';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

const allowed = {
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

/**
 * CORS from an allow-list, never `*`: a request from any other origin (preflight or not)
 * gets no Access-Control-* header at all.
 */
export const corsAllowList = fp(
  async (app: FastifyInstance, options: { readonly origins: readonly string[] }) => {
    await app.register(
      cors,
      () =>
        (request: FastifyRequest, callback: (error: Error | null, options: FastifyCorsOptions) => void) => {
          const origin = request.headers.origin;
          const listed = origin !== undefined && options.origins.includes(origin);
          callback(null, listed ? { ...allowed, origin } : { origin: false });
        },
    );
  },
  { name: 'cors-allow-list' },
);
