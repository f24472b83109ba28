import type { Store } from '../store-client.ts';
import { errors, withHeaders } from './responses.ts';
import { ItemParams, TenantHeaders } from './schemas.ts';
import type { ItemApp } from './type-provider.ts';

/** DELETE /v1/items/:id: discontinue an item (a soft delete). */
export function discontinueItem(app: ItemApp, store: Store): void {
  app.delete(
    '/v1/items/:id',
    {
      schema: {
        operationId: 'discontinueItem',
        summary: 'Discontinue an item (soft delete)',
        headers: TenantHeaders,
        params: ItemParams,
        response: { 204: withHeaders({ type: 'null', description: 'discontinued' }, {}), ...errors },
      },
    },
    async (request, reply) => {
      const { caller } = request;
      await store.deleteItem(
        { tenantId: caller.tenantId, id: request.params.id, userId: caller.userId },
        caller,
      );
      return reply.code(204).send();
    },
  );
}
