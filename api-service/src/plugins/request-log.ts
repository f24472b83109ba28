import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Registry } from 'prom-client';
import { httpServerMetrics } from 'service-kit';

/**
 * One line and one observation per request: no bodies, no headers, the route template
 * rather than the raw path (ids never become labels).
 */
export const requestLog = fp(
  async (app: FastifyInstance, options: { readonly registry?: Registry }) => {
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
  },
  { name: 'request-log' },
);
