import { categoryToProto, statusToProto } from 'store-contract';
import type { Caller } from '../auth.ts';
import { ApiError } from '../errors.ts';
import type { Store } from '../store-client.ts';
import { itemToJson } from './mapper.ts';
import { bodyErrors, errors, etag, versionErrors, withHeaders } from './responses.ts';
import { ItemParams, ItemRef, PatchBody, ReplaceBody, VersionedHeaders } from './schemas.ts';
import type { ItemApp } from './type-provider.ts';

/** The version a write expects: `If-Match: "3"` (or W/"3", 3) or body `version`; one is required. */
export function expectedVersion(ifMatch: string | undefined, bodyVersion: number | undefined): number {
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

interface Update {
  readonly caller: Caller;
  readonly id: string;
  readonly version: number;
  readonly fields: PatchBody;
  /** A replacement clears the optional fields it does not send; a change keeps them. */
  readonly replace: boolean;
}

async function update(store: Store, { caller, id, version, fields, replace }: Update) {
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
}

const response = { 200: withHeaders(ItemRef, etag), ...errors, ...bodyErrors, ...versionErrors };

/** PUT /v1/items/:id: replace the editable fields; needs the version read. */
export function replaceItem(app: ItemApp, store: Store): void {
  app.put(
    '/v1/items/:id',
    {
      schema: {
        operationId: 'replaceItem',
        summary: 'Replace an item’s editable fields (needs If-Match or version)',
        headers: VersionedHeaders,
        params: ItemParams,
        body: ReplaceBody,
        response,
      },
    },
    async (request, reply) => {
      const { headers, body: fields, caller } = request;
      const version = expectedVersion(headers['if-match'], fields.version);
      const json = await update(store, { caller, id: request.params.id, version, fields, replace: true });
      return reply.header('etag', `"${json.version}"`).send(json);
    },
  );
}

/** PATCH /v1/items/:id: change some fields; needs the version read. */
export function changeItem(app: ItemApp, store: Store): void {
  app.patch(
    '/v1/items/:id',
    {
      schema: {
        operationId: 'changeItem',
        summary: 'Change some of an item’s fields (needs If-Match or version)',
        headers: VersionedHeaders,
        params: ItemParams,
        body: PatchBody,
        response,
      },
    },
    async (request, reply) => {
      const { headers, body: fields, caller } = request;
      const version = expectedVersion(headers['if-match'], fields.version);
      const json = await update(store, { caller, id: request.params.id, version, fields, replace: false });
      return reply.header('etag', `"${json.version}"`).send(json);
    },
  );
}
