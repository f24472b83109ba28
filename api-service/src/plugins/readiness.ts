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
 * /healthz (the process lives) and /readyz (the pod's own ability to serve), and while
 * draining each response closes its connection, so keep-alive clients move to another
 * instance and the server can finish closing.
 *
 * /readyz waits for the store once (STORE_ADDRESS is this pod's own setting: a rollout that
 * gets it wrong stops at its first pod), then follows draining only. A store outage later
 * is reported, never gating: every api pod shares the store, and an api out of rotation
 * answers nothing at all, where a ready one answers 503 per data call and everything else
 * (auth errors, validation, the OpenAPI document) as usual. `/readyz?verbose` asks the
 * store now and reports what it saw, with the same status code.
 */
export const readinessProbes = fp(
  async (app: FastifyInstance, { state, store, deadlineMs }: ReadinessOptions) => {
    let storeReached = false;
    app.addHook('onSend', (_request, reply, payload, done) => {
      if (!state.ready) reply.header('connection', 'close');
      done(null, payload);
    });
    app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
    app.get<{ Querystring: { verbose?: string } }>(
      '/readyz',
      { schema: { hide: true } },
      async (request, reply) => {
        if (!state.ready) return reply.code(503).send({ status: 'draining' });
        const verbose = request.query.verbose !== undefined;
        if (storeReached && !verbose) return { status: 'ready' };
        const serving = await store.isServing(deadlineMs);
        storeReached ||= serving;
        return reply.code(storeReached ? 200 : 503).send({
          status: storeReached ? 'ready' : 'waiting for the store',
          store: serving ? 'serving' : 'unreachable',
        });
      },
    );
  },
  { name: 'readiness-probes' },
);
