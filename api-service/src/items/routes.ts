import type { FastifyPluginAsync } from 'fastify';
import type { Authenticate, Caller } from '../auth.ts';
import type { Store } from '../store-client.ts';
import { createItem } from './create.ts';
import { discontinueItem } from './discontinue.ts';
import { getItem } from './get.ts';
import { listItems } from './list.ts';
import { changeStock } from './stock.ts';
import type { ItemApp, TypeBoxProvider } from './type-provider.ts';
import { changeItem, replaceItem } from './update.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is asking (set before validation, for every item route). */
    caller: Caller;
  }
}

/** The item operations, one module each, in the order the API document lists them. */
const operations: ReadonlyArray<(app: ItemApp, store: Store) => void> = [
  createItem,
  listItems,
  getItem,
  replaceItem,
  changeItem,
  discontinueItem,
  changeStock,
];

export function itemRoutes(store: Store, authenticate: Authenticate): FastifyPluginAsync {
  return async (app) => {
    // Authentication comes first: a caller without credentials learns nothing, not even
    // which of its inputs would be refused.
    app.decorateRequest('caller', undefined as unknown as Caller);
    app.addHook('onRequest', async (request) => {
      request.caller = await authenticate(request);
    });
    const typed = app.withTypeProvider<TypeBoxProvider>();
    for (const register of operations) register(typed, store);
  };
}
