import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** Every answer (errors and 404s included): no MIME sniffing; tenant data is never stored by caches. */
export const responseHeaders = fp(
  async (app: FastifyInstance) => {
    app.addHook('onRequest', (request, reply, done) => {
      reply.header('x-content-type-options', 'nosniff');
      if (request.url.startsWith('/v1/')) reply.header('cache-control', 'no-store');
      done();
    });
  },
  { name: 'response-headers' },
);
