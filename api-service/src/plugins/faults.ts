import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ApiError } from '../errors.ts';

export interface Faults {
  readonly delayMs: number;
  readonly errorRatio: number;
}

/** Deliberate faults on /v1 (FAULT_DELAY_MS, FAULT_ERROR_RATIO), for canary analysis drills. */
export const faultInjection = fp(
  async (app: FastifyInstance, faults: Faults) => {
    if (faults.delayMs <= 0 && faults.errorRatio <= 0) return;
    app.log.warn(faults, 'fault injection on: requests to /v1 are delayed or fail on purpose');
    app.addHook('onRequest', async (request) => {
      if (!request.url.startsWith('/v1/')) return;
      if (faults.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, faults.delayMs));
      if (Math.random() < faults.errorRatio)
        throw new ApiError(500, 'fault_injected', 'a fault injected on purpose (FAULT_ERROR_RATIO)');
    });
  },
  { name: 'fault-injection' },
);
