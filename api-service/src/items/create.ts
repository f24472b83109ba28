import { status } from '@grpc/grpc-js';
import { categoryToProto } from 'store-contract';
import { ApiError } from '../errors.ts';
import type { Store } from '../store-client.ts';
import { itemToJson } from './mapper.ts';
import { bodyErrors, errors, etag, replayed, withHeaders } from './responses.ts';
import { CreateBody, ItemRef, KeyedHeaders } from './schemas.ts';
import type { ItemApp } from './type-provider.ts';

/** POST /v1/items: create an item, idempotent with Idempotency-Key or request_id. */
export function createItem(app: ItemApp, store: Store): void {
  app.post(
    '/v1/items',
    {
      schema: {
        operationId: 'createItem',
        summary: 'Create an item (idempotent with Idempotency-Key or request_id)',
        headers: KeyedHeaders,
        body: CreateBody,
        response: {
          200: withHeaders(ItemRef, { ...etag, ...replayed, location: { type: 'string' } }),
          201: withHeaders(ItemRef, { ...etag, location: { type: 'string', description: 'the new item' } }),
          ...errors,
          ...bodyErrors,
        },
      },
    },
    async (request, reply) => {
      const { body, headers, caller } = request;
      const key = headers['idempotency-key'];
      if (key !== undefined && body.request_id !== undefined && key !== body.request_id) {
        throw new ApiError(400, 'invalid_argument', 'request_id: differs from Idempotency-Key', 'request_id');
      }
      const { item, created } = await store
        .createItem(
          {
            tenantId: caller.tenantId,
            requestId: key ?? body.request_id ?? '',
            name: body.name,
            description: body.description ?? '',
            priceCents: body.price_cents,
            category: categoryToProto(body.category),
            sku: body.sku ?? '',
            inventoryCount: body.inventory_count ?? 0,
            tags: body.tags ?? [],
            userId: caller.userId,
          },
          caller,
        )
        .catch((err: unknown) => {
          // A reused key names what the client sent: the header, or the body's request_id.
          if (key !== undefined && (err as { code?: unknown }).code === status.ALREADY_EXISTS)
            throw new ApiError(
              409,
              'already_exists',
              'Idempotency-Key: was already used for a different item; use a new key for a new item',
              'Idempotency-Key',
            );
          throw err;
        });
      const json = itemToJson(item);
      if (!created) reply.header('idempotent-replayed', 'true');
      return reply
        .code(created ? 201 : 200)
        .header('location', `/v1/items/${json.id}`)
        .header('etag', `"${json.version}"`)
        .send(json);
    },
  );
}
