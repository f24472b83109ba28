import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Store } from '../store-client.ts';

/** Whether the instance takes traffic; false from the moment it starts draining. */
export interface Readiness {
  ready: boolean;
}

export interface ReadinessOptions {
  readonly state: Readiness;
  readonly store: Store;
  readonly deadlineMs: number;
}

/**
 * /healthz (the process lives) and /readyz (ready and the store reachable), and while
 * draining each response closes its connection, so keep-alive clients move to another
 * instance and the server can finish closing.
 */
export const readinessProbes = fp(
  async (app: FastifyInstance, { state, store, deadlineMs }: ReadinessOptions) => {
    app.addHook('onSend', (_request, reply, payload, done) => {
      if (!state.ready) reply.header('connection', 'close');
      done(null, payload);
    });
    app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
    app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
      const storeServing = state.ready && (await store.isServing(deadlineMs));
      return reply
        .code(storeServing ? 200 : 503)
        .send({ status: storeServing ? 'ready' : 'not ready', store: storeServing });
    });
  },
  { name: 'readiness-probes' },
);
