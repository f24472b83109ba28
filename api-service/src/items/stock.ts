import { status } from '@grpc/grpc-js';
import { LIMITS } from 'store-contract';
import { ApiError } from '../errors.ts';
import type { Store } from '../store-client.ts';
import { itemToJson } from './mapper.ts';
import { bodyErrors, errors, replayed, withHeaders } from './responses.ts';
import { InventoryBody, InventoryJson, ItemParams, KeyedHeaders } from './schemas.ts';
import type { ItemApp } from './type-provider.ts';

/** POST /v1/items/:id/inventory: change the stock atomically, idempotent with Idempotency-Key. */
export function changeStock(app: ItemApp, store: Store): void {
  app.post(
    '/v1/items/:id/inventory',
    {
      schema: {
        operationId: 'changeStock',
        summary: `Change stock atomically (409 when it would go below zero or above the limit); with Idempotency-Key, a retry applies nothing and returns the first result, while the item remembers the key (at least ${LIMITS.stockRequestWindow} more keyed changes)`,
        headers: KeyedHeaders,
        params: ItemParams,
        body: InventoryBody,
        response: { 200: withHeaders(InventoryJson, replayed), ...errors, ...bodyErrors },
      },
    },
    async (request, reply) => {
      const { caller, body } = request;
      const key = request.headers['idempotency-key'];
      const { item, previousCount, replayed } = await store
        .updateInventory(
          {
            tenantId: caller.tenantId,
            id: request.params.id,
            quantityChange: body.quantity_change,
            reason: body.reason ?? '',
            userId: caller.userId,
            requestId: key ?? '',
          },
          caller,
        )
        .catch((err: unknown) => {
          if (key !== undefined && (err as { code?: unknown }).code === status.ALREADY_EXISTS)
            throw new ApiError(
              409,
              'already_exists',
              'Idempotency-Key: was already used for a different stock change; use a new key for a new change',
              'Idempotency-Key',
            );
          throw err;
        });
      if (replayed) reply.header('idempotent-replayed', 'true');
      return { item: itemToJson(item), previous_count: previousCount };
    },
  );
}
