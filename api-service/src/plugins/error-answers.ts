import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { installErrorHandler, lingerBeforeClosing } from '../errors.ts';

/**
 * Every error in the API's JSON shape (one handler mapping store codes to HTTP statuses),
 * and connections closed after an early answer linger so the client reads it.
 */
export const errorAnswers = fp(
  async (app: FastifyInstance) => {
    installErrorHandler(app);
    lingerBeforeClosing(app.server);
  },
  { name: 'error-answers' },
);
