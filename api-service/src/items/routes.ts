import { status } from '@grpc/grpc-js';
import type { FastifyPluginAsync } from 'fastify';
import { Category, categoryToProto, ItemStatus, LIMITS, statusToProto } from 'store-contract';
import type { Authenticate, Caller } from '../auth.ts';
import { ApiError } from '../errors.ts';
import type { Store } from '../store-client.ts';
import { itemToJson } from './mapper.ts';
import {
  CreateBody,
  ErrorRef,
  InventoryBody,
  InventoryJson,
  ItemParams,
  ItemRef,
  KeyedHeaders,
  ListJson,
  ListQuery,
  PatchBody,
  ReplaceBody,
  TenantHeaders,
  VersionedHeaders,
} from './schemas.ts';

// Every answer an operation can give is in the document (checked by a contract proxy in
// the tests): the errors of every request, and those of requests with a body or a version.
const errors = {
  400: ErrorRef,
  401: ErrorRef,
  403: ErrorRef,
  404: ErrorRef,
  414: ErrorRef,
  431: ErrorRef,
  500: ErrorRef,
  503: ErrorRef,
  504: ErrorRef,
};
const bodyErrors = { 409: ErrorRef, 413: ErrorRef, 415: ErrorRef };

/** Response headers every answer carries, and those of specific answers. */
const canaryHeaders = {
  'x-served-by': {
    type: 'string',
    description: 'every hop that served the request: service@track (version)',
  },
  'x-canary-echo': { type: 'string', description: 'the accepted X-Canary key' },
  'x-canary-error': { type: 'string', description: 'why X-Canary was ignored' },
};
const withHeaders = (schema: object, headers: Record<string, object>) => ({
  ...schema,
  headers: { ...canaryHeaders, ...headers },
});
const etag = { etag: { type: 'string', description: 'the item version, for If-Match' } };
const replayed = {
  'idempotent-replayed': {
    type: 'string',
    description:
      '"true" when the key matched an earlier request and nothing was applied now; absent, this request was applied (for a retried stock change: its key was new, or older than the item remembers)',
  },
};

/** The version a write expects: `If-Match: "3"` (or W/"3", 3) or body `version`; one is required. */
function expectedVersion(ifMatch: string | undefined, bodyVersion: number | undefined): number {
  let header: number | undefined;
  if (ifMatch !== undefined) {
    const match = /^(?:W\/)?"?([1-9][0-9]{0,14})"?$/.exec(ifMatch.trim());
    if (match?.[1] === undefined) {
      throw new ApiError(
        400,
        'invalid_argument',
        'If-Match: must be an item version such as "3"',
        'if-match',
      );
    }
    header = Number(match[1]);
  }
  if (header !== undefined && bodyVersion !== undefined && header !== bodyVersion) {
    throw new ApiError(400, 'invalid_argument', 'version: differs from If-Match', 'version');
  }
  const version = header ?? bodyVersion;
  if (version === undefined) {
    throw new ApiError(
      428,
      'precondition_required',
      'send the version you read, as If-Match or body "version"',
    );
  }
  return version;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is asking (set before validation, for every item route). */
    caller: Caller;
  }
}

export function itemRoutes(store: Store, authenticate: Authenticate): FastifyPluginAsync {
  return async (app) => {
    // Authentication comes first: a caller without credentials learns nothing, not even
    // which of its inputs would be refused.
    app.decorateRequest('caller', undefined as unknown as Caller);
    app.addHook('onRequest', async (request) => {
      request.caller = await authenticate(request);
    });
    app.post<{ Body: CreateBody; Headers: KeyedHeaders }>(
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
        const { body, headers } = request;
        const key = headers['idempotency-key'];
        if (key !== undefined && body.request_id !== undefined && key !== body.request_id) {
          throw new ApiError(
            400,
            'invalid_argument',
            'request_id: differs from Idempotency-Key',
            'request_id',
          );
        }
        const { item, created } = await store
          .createItem(
            {
              tenantId: request.caller.tenantId,
              requestId: key ?? body.request_id ?? '',
              name: body.name,
              description: body.description ?? '',
              priceCents: body.price_cents,
              category: categoryToProto(body.category),
              sku: body.sku ?? '',
              inventoryCount: body.inventory_count ?? 0,
              tags: body.tags ?? [],
              userId: request.caller.userId,
            },
            request.caller,
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

    app.get<{ Querystring: ListQuery; Headers: TenantHeaders }>(
      '/v1/items',
      {
        schema: {
          operationId: 'listItems',
          summary: 'List items by category, status and search text, page by page',
          headers: TenantHeaders,
          querystring: ListQuery,
          response: { 200: withHeaders(ListJson, {}), ...errors },
        },
      },
      async (request) => {
        const { query } = request;
        const page = await store.listItems(
          {
            tenantId: request.caller.tenantId,
            category:
              query.category === undefined ? Category.CATEGORY_UNSPECIFIED : categoryToProto(query.category),
            status:
              query.status === undefined ? ItemStatus.ITEM_STATUS_UNSPECIFIED : statusToProto(query.status),
            search: query.search ?? '',
            pageSize: query.page_size === undefined ? 0 : Number(query.page_size),
            pageToken: query.page_token ?? '',
          },
          request.caller,
        );
        return { items: page.items.map(itemToJson), next_page_token: page.nextPageToken };
      },
    );

    app.get<{ Params: { id: string }; Headers: TenantHeaders }>(
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

    const update = async (
      caller: Caller,
      id: string,
      version: number,
      fields: PatchBody,
      replace: boolean,
    ) => {
      const { item } = await store.updateItem(
        {
          tenantId: caller.tenantId,
          id,
          expectedVersion: version,
          userId: caller.userId,
          name: fields.name,
          description: replace ? (fields.description ?? '') : fields.description,
          priceCents: fields.price_cents,
          category: fields.category === undefined ? undefined : categoryToProto(fields.category),
          status: fields.status === undefined ? undefined : statusToProto(fields.status),
          sku: replace ? (fields.sku ?? '') : fields.sku,
          tags: fields.tags ?? [],
          updateTags: replace || fields.tags !== undefined,
        },
        caller,
      );
      return itemToJson(item);
    };

    // PUT replaces the editable fields, PATCH changes some; both need the version read.
    for (const [method, replace, body, summary, operationId] of [
      [
        'PUT',
        true,
        ReplaceBody,
        'Replace an item’s editable fields (needs If-Match or version)',
        'replaceItem',
      ],
      [
        'PATCH',
        false,
        PatchBody,
        'Change some of an item’s fields (needs If-Match or version)',
        'changeItem',
      ],
    ] as const) {
      app.route<{ Params: { id: string }; Body: PatchBody; Headers: VersionedHeaders }>({
        method,
        url: '/v1/items/:id',
        schema: {
          operationId,
          summary,
          headers: VersionedHeaders,
          params: ItemParams,
          body,
          response: { 200: withHeaders(ItemRef, etag), ...errors, ...bodyErrors, 428: ErrorRef },
        },
        handler: async (request, reply) => {
          const { headers, body: fields } = request;
          const version = expectedVersion(headers['if-match'], fields.version);
          const json = await update(request.caller, request.params.id, version, fields, replace);
          return reply.header('etag', `"${json.version}"`).send(json);
        },
      });
    }

    app.delete<{ Params: { id: string }; Headers: TenantHeaders }>(
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
        await store.deleteItem(
          {
            tenantId: request.caller.tenantId,
            id: request.params.id,
            userId: request.caller.userId,
          },
          request.caller,
        );
        return reply.code(204).send();
      },
    );

    app.post<{ Params: { id: string }; Body: InventoryBody; Headers: KeyedHeaders }>(
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
        const key = request.headers['idempotency-key'];
        const { item, previousCount, replayed } = await store
          .updateInventory(
            {
              tenantId: request.caller.tenantId,
              id: request.params.id,
              quantityChange: request.body.quantity_change,
              reason: request.body.reason ?? '',
              userId: request.caller.userId,
              requestId: key ?? '',
            },
            request.caller,
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
  };
}
