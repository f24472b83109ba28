import type { Store } from '../store-client.ts';
import { itemToJson } from './mapper.ts';
import { errors, etag, withHeaders } from './responses.ts';
import { ItemParams, ItemRef, TenantHeaders } from './schemas.ts';
import type { ItemApp } from './type-provider.ts';

/** GET /v1/items/:id: one item, its version as ETag. */
export function getItem(app: ItemApp, store: Store): void {
  app.get(
    '/v1/items/:id',
    {
      schema: {
        operationId: 'getItem',
        summary: 'Get one item',
        headers: TenantHeaders,
        params: ItemParams,
        response: { 200: withHeaders(ItemRef, etag), ...errors },
      },
    },
    async (request, reply) => {
      const { item } = await store.getItem(
        { tenantId: request.caller.tenantId, id: request.params.id },
        request.caller,
      );
      const json = itemToJson(item);
      return reply.header('etag', `"${json.version}"`).send(json);
    },
  );
}
