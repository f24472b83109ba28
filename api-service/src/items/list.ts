import { Category, categoryToProto, ItemStatus, statusToProto } from 'store-contract';
import type { Store } from '../store-client.ts';
import { itemToJson } from './mapper.ts';
import { errors, withHeaders } from './responses.ts';
import { ListJson, ListQuery, TenantHeaders } from './schemas.ts';
import type { ItemApp } from './type-provider.ts';

/** GET /v1/items: a page of items by category, status and search text. */
export function listItems(app: ItemApp, store: Store): void {
  app.get(
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
      const { query, caller } = request;
      const page = await store.listItems(
        {
          tenantId: caller.tenantId,
          category:
            query.category === undefined ? Category.CATEGORY_UNSPECIFIED : categoryToProto(query.category),
          status:
            query.status === undefined ? ItemStatus.ITEM_STATUS_UNSPECIFIED : statusToProto(query.status),
          search: query.search ?? '',
          pageSize: query.page_size === undefined ? 0 : Number(query.page_size),
          pageToken: query.page_token ?? '',
        },
        caller,
      );
      return { items: page.items.map(itemToJson), next_page_token: page.nextPageToken };
    },
  );
}
