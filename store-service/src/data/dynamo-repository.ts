import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { invalidArgument } from '../domain/errors.ts';
import type { Item, ItemChanges, ListFilter } from '../domain/item.ts';
import { fromRow, keys, searchText, toRow } from './item-row.ts';
import type { InventoryOutcome, ItemRepository, Page, StoredItem, UpdateOutcome } from './repository.ts';
import { CATEGORY_INDEX } from './table.ts';

/** Items evaluated per Query call while filling a filtered page. */
const SCAN_BATCH = 100;

const attributeNames: Record<keyof ItemChanges, string> = {
  name: 'name',
  description: 'description',
  priceCents: 'price_cents',
  category: 'category',
  status: 'status',
  sku: 'sku',
  tags: 'tags',
};

/** ItemRepository on one DynamoDB table (see item-row.ts for the layout). */
export class DynamoItemRepository implements ItemRepository {
  readonly #db: DynamoDBDocumentClient;
  readonly #writes: DynamoDBDocumentClient;
  readonly #table: string;

  /** `writes` must not retry ambiguous failures (see dynamodb.ts); `reads` may. */
  constructor(clients: { reads: DynamoDBClient; writes: DynamoDBClient }, tableName: string) {
    const options = { marshallOptions: { removeUndefinedValues: true } };
    this.#db = DynamoDBDocumentClient.from(clients.reads, options);
    this.#writes = DynamoDBDocumentClient.from(clients.writes, options);
    this.#table = tableName;
  }

  async #getStored(tenantId: string, id: string): Promise<StoredItem | null> {
    const { Item: row } = await this.#db.send(
      new GetCommand({
        TableName: this.#table,
        Key: { PK: keys.pk(tenantId), SK: keys.sk(id) },
        ConsistentRead: true,
      }),
    );
    return row === undefined ? null : fromRow(row);
  }

  async get(tenantId: string, id: string): Promise<Item | null> {
    return (await this.#getStored(tenantId, id))?.item ?? null;
  }

  async createIfAbsent(item: Item, requestHash: string | undefined) {
    try {
      await this.#writes.send(
        new PutCommand({
          TableName: this.#table,
          Item: toRow(item, requestHash),
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      );
      return { created: true, stored: { item, requestHash } };
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      const existing = await this.#getStored(item.tenantId, item.id);
      if (existing === null) throw new Error(`item ${item.id} vanished after a conditional create failed`);
      return { created: false, stored: existing };
    }
  }

  async update(
    tenantId: string,
    id: string,
    expectedVersion: number,
    changes: ItemChanges,
    by: string,
    at: string,
  ): Promise<UpdateOutcome> {
    const current = await this.get(tenantId, id);
    if (current === null) return { kind: 'not_found' };
    if (current.version !== expectedVersion)
      return { kind: 'version_conflict', currentVersion: current.version };
    const next = { ...current, ...changes };
    const values: Record<string, unknown> = {
      ':expected': expectedVersion,
      ':one': 1,
      ':at': at,
      ':by': by,
      ':gsi1pk': keys.gsi1pk(tenantId, next.category),
      ':gsi1sk': keys.gsi1sk(next.status, id),
      ':search': searchText(next.name, next.description),
    };
    const sets = [
      '#version = #version + :one',
      'updated_at = :at',
      'updated_by = :by',
      'GSI1PK = :gsi1pk',
      'GSI1SK = :gsi1sk',
      'search_text = :search',
    ];
    const names: Record<string, string> = { '#version': 'version' };
    for (const [field, value] of Object.entries(changes) as Array<[keyof ItemChanges, unknown]>) {
      names[`#${field}`] = attributeNames[field];
      values[`:${field}`] = value;
      sets.push(`#${field} = :${field}`);
    }
    try {
      const { Attributes } = await this.#writes.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { PK: keys.pk(tenantId), SK: keys.sk(id) },
          UpdateExpression: `SET ${sets.join(', ')}`,
          // The write only lands on the version the changes were computed from.
          ConditionExpression: 'attribute_exists(PK) AND #version = :expected',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      if (Attributes === undefined) throw new Error('UpdateItem returned no attributes');
      return { kind: 'updated', item: fromRow(Attributes).item };
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      const latest = await this.get(tenantId, id);
      return latest === null
        ? { kind: 'not_found' }
        : { kind: 'version_conflict', currentVersion: latest.version };
    }
  }

  async adjustInventory(
    tenantId: string,
    id: string,
    delta: number,
    by: string,
    at: string,
  ): Promise<InventoryOutcome> {
    try {
      const { Attributes } = await this.#writes.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { PK: keys.pk(tenantId), SK: keys.sk(id) },
          UpdateExpression:
            'ADD inventory_count :delta, #version :one SET updated_at = :at, updated_by = :by',
          // One conditional write: concurrent decrements can never take stock below zero.
          ConditionExpression: 'attribute_exists(PK) AND inventory_count >= :needed',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: {
            ':delta': delta,
            ':one': 1,
            ':at': at,
            ':by': by,
            ':needed': Math.max(0, -delta),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      if (Attributes === undefined) throw new Error('UpdateItem returned no attributes');
      const item = fromRow(Attributes).item;
      return { kind: 'updated', item, previousCount: item.inventoryCount - delta };
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      const latest = await this.get(tenantId, id);
      return latest === null
        ? { kind: 'not_found' }
        : { kind: 'insufficient', available: latest.inventoryCount };
    }
  }

  async list(
    tenantId: string,
    filter: ListFilter,
    pageSize: number,
    after: Record<string, string> | undefined,
  ): Promise<Page> {
    const byCategory = filter.category !== undefined;
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const conditions: string[] = [];
    let keyCondition: string;
    if (filter.category !== undefined) {
      values[':gpk'] = keys.gsi1pk(tenantId, filter.category);
      keyCondition = 'GSI1PK = :gpk';
      if (filter.status !== undefined) {
        values[':gsk'] = `STATUS#${filter.status}#`;
        keyCondition += ' AND begins_with(GSI1SK, :gsk)';
      }
    } else {
      values[':pk'] = keys.pk(tenantId);
      values[':prefix'] = keys.itemPrefix;
      keyCondition = 'PK = :pk AND begins_with(SK, :prefix)';
      if (filter.status !== undefined) {
        names['#status'] = 'status';
        values[':status'] = filter.status;
        conditions.push('#status = :status');
      }
    }
    if (filter.search !== undefined) {
      values[':search'] = filter.search;
      conditions.push('contains(search_text, :search)');
    }
    const keyAttributes = byCategory ? ['PK', 'SK', 'GSI1PK', 'GSI1SK'] : ['PK', 'SK'];
    let startKey = after === undefined ? undefined : this.#checkedPosition(after, keyAttributes, tenantId);

    // Collect one item more than the page: if it exists there is a next page, and the
    // page ends exactly at page_size even when the filter skips most rows.
    const found: Array<Record<string, unknown>> = [];
    do {
      const input: QueryCommandInput = {
        TableName: this.#table,
        KeyConditionExpression: keyCondition,
        ExpressionAttributeValues: values,
        Limit: SCAN_BATCH,
        ExclusiveStartKey: startKey,
        ...(byCategory ? { IndexName: CATEGORY_INDEX } : { ConsistentRead: true }),
        ...(conditions.length === 0 ? {} : { FilterExpression: conditions.join(' AND ') }),
        ...(Object.keys(names).length === 0 ? {} : { ExpressionAttributeNames: names }),
      };
      const result = await this.#db.send(new QueryCommand(input));
      found.push(...(result.Items ?? []));
      startKey = result.LastEvaluatedKey;
    } while (found.length <= pageSize && startKey !== undefined);

    const rows = found.slice(0, pageSize);
    const last = rows.at(-1);
    const hasMore = found.length > pageSize;
    const next =
      hasMore && last !== undefined
        ? Object.fromEntries(keyAttributes.map((k) => [k, String(last[k])]))
        : undefined;
    return { items: rows.map((row) => fromRow(row).item), next };
  }

  /** A position from a page token must point into this tenant's partition and the right index. */
  #checkedPosition(
    position: Record<string, string>,
    attributes: string[],
    tenantId: string,
  ): Record<string, string> {
    const same =
      Object.keys(position).length === attributes.length &&
      attributes.every((a) => typeof position[a] === 'string') &&
      position.PK === keys.pk(tenantId) &&
      position.SK?.startsWith(keys.itemPrefix) === true;
    if (!same) throw invalidArgument('page_token', 'does not belong to this query');
    return position;
  }

  async ping(): Promise<void> {
    await this.#db.send(new GetCommand({ TableName: this.#table, Key: { PK: 'PING', SK: 'PING' } }));
  }
}
