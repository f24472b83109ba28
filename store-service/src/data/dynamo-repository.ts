import { invalidArgument } from '../domain/errors.ts';
import type { Item, ItemChanges, ListFilter } from '../domain/item.ts';
import {
  ConditionFailed,
  type DynamoDocuments,
  type QueryInput,
  type UpdateInput,
} from '../dynamo/documents.ts';
import { fromRow, inventoryRequests, keys, searchText, toRow } from './item-row.ts';
import { KeyLimiter } from './key-limiter.ts';
import {
  type CallOptions,
  type InventoryChange,
  type InventoryOutcome,
  type ItemRepository,
  type ListOptions,
  type Page,
  REMEMBERED_REQUESTS,
  type RepositoryOptions,
  requestsToForget,
  type StoredItem,
  statusAfterStockChange,
  type UpdateOutcome,
} from './repository.ts';
import { CATEGORY_INDEX, STATUS_INDEX } from './table.ts';

/** Items evaluated per Query call while filling a page (at most; the budget may cut it). */
const QUERY_BATCH = 100;
/** Attempts of one stock change before it is answered `contended` (see adjustInventory). */
export const STOCK_ATTEMPTS = 5;
/** A stock write failed its condition, but the item read after it allows the change. */
const UNEXPLAINED = Symbol('unexplained condition failure');

const attributeNames: Record<keyof ItemChanges, string> = {
  name: 'name',
  description: 'description',
  priceCents: 'price_cents',
  category: 'category',
  status: 'status',
  sku: 'sku',
  tags: 'tags',
};

/** Which key a list query uses, and the key attributes of its positions. */
interface ListPath {
  readonly index: string | undefined;
  readonly keyCondition: string;
  readonly values: Record<string, unknown>;
  readonly keyAttributes: readonly string[];
  /** A position from a token must satisfy this to belong to the query. */
  readonly owns: (position: Record<string, string>) => boolean;
}

function listPath(tenantId: string, filter: ListFilter): ListPath {
  const pk = keys.pk(tenantId);
  const inTenant = (p: Record<string, string>) => p.PK === pk && p.SK?.startsWith(keys.itemPrefix) === true;
  if (filter.category !== undefined) {
    const gpk = keys.gsi1pk(tenantId, filter.category);
    const prefix = filter.status === undefined ? undefined : `STATUS#${filter.status}#`;
    return {
      index: CATEGORY_INDEX,
      keyCondition: `GSI1PK = :gpk${prefix === undefined ? '' : ' AND begins_with(GSI1SK, :gsk)'}`,
      values: { ':gpk': gpk, ...(prefix === undefined ? {} : { ':gsk': prefix }) },
      keyAttributes: ['PK', 'SK', 'GSI1PK', 'GSI1SK'],
      owns: (p) =>
        inTenant(p) && p.GSI1PK === gpk && (prefix === undefined || p.GSI1SK?.startsWith(prefix) === true),
    };
  }
  if (filter.status !== undefined) {
    const gpk = keys.gsi2pk(tenantId, filter.status);
    return {
      index: STATUS_INDEX,
      keyCondition: 'GSI2PK = :gpk',
      values: { ':gpk': gpk },
      keyAttributes: ['PK', 'SK', 'GSI2PK'],
      owns: (p) => inTenant(p) && p.GSI2PK === gpk,
    };
  }
  return {
    index: undefined,
    keyCondition: 'PK = :pk AND begins_with(SK, :prefix)',
    values: { ':pk': pk, ':prefix': keys.itemPrefix },
    keyAttributes: ['PK', 'SK'],
    owns: inTenant,
  };
}

/**
 * ItemRepository on one DynamoDB table (see item-row.ts for the layout). Every call is
 * tied to the caller's deadline (`signal`): when it passes, the request is aborted.
 */
export class DynamoItemRepository implements ItemRepository {
  readonly #db: DynamoDocuments;
  readonly #table: string;
  /**
   * The stock each item was last seen with by this process (bounded). A decrement that
   * this says cannot succeed is checked with one consistent read first: when the read
   * shows too little stock, the answer is FAILED_PRECONDITION at the moment of that read,
   * without queueing a doomed conditional write behind the others on a hot item.
   */
  readonly #lastStock = new Map<string, number>();
  /**
   * Stock writes to one item in flight at once from this process. DynamoDB (and
   * dynalite) apply writes to an item one at a time; a few in flight keep the round trips
   * overlapping, and the rest wait here, where they can still be answered from a read
   * once the stock is known to be gone (see #lastStock).
   */
  readonly #stockWrites = new KeyLimiter(8);
  readonly #rememberedRequests: number;

  /** `db` retries reads, and writes only after throttling (dynamo/documents.ts). */
  constructor(db: DynamoDocuments, tableName: string, repositoryOptions: RepositoryOptions = {}) {
    this.#db = db;
    this.#table = tableName;
    this.#rememberedRequests = repositoryOptions.rememberedRequests ?? REMEMBERED_REQUESTS;
  }

  async #getRow(tenantId: string, id: string, options?: CallOptions) {
    return this.#db.get(
      { TableName: this.#table, Key: { PK: keys.pk(tenantId), SK: keys.sk(id) }, ConsistentRead: true },
      options,
    );
  }

  async get(tenantId: string, id: string, options?: CallOptions): Promise<Item | null> {
    const row = await this.#getRow(tenantId, id, options);
    return row === undefined ? null : fromRow(row).item;
  }

  async createIfAbsent(item: Item, requestHash: string | undefined, options?: CallOptions) {
    try {
      await this.#db.put(
        {
          TableName: this.#table,
          Item: toRow(item, requestHash),
          ConditionExpression: 'attribute_not_exists(PK)',
        },
        options,
      );
      return { created: true, stored: { item, requestHash } };
    } catch (err) {
      if (!(err instanceof ConditionFailed)) throw err;
      const row = await this.#getRow(item.tenantId, item.id, options);
      if (row === undefined) throw new Error(`item ${item.id} vanished after a conditional create failed`);
      const existing: StoredItem = fromRow(row);
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
    options?: CallOptions,
  ): Promise<UpdateOutcome> {
    const current = await this.get(tenantId, id, options);
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
      ':gsi2pk': keys.gsi2pk(tenantId, next.status),
      ':search': searchText(next.name, next.description),
    };
    const sets = [
      '#version = #version + :one',
      'updated_at = :at',
      'updated_by = :by',
      'GSI1PK = :gsi1pk',
      'GSI1SK = :gsi1sk',
      'GSI2PK = :gsi2pk',
      'search_text = :search',
    ];
    const names: Record<string, string> = { '#version': 'version' };
    for (const [field, value] of Object.entries(changes) as Array<[keyof ItemChanges, unknown]>) {
      names[`#${field}`] = attributeNames[field];
      values[`:${field}`] = value;
      sets.push(`#${field} = :${field}`);
    }
    try {
      const Attributes = await this.#db.update(
        {
          TableName: this.#table,
          Key: { PK: keys.pk(tenantId), SK: keys.sk(id) },
          UpdateExpression: `SET ${sets.join(', ')}`,
          // The write only lands on the version the changes were computed from.
          ConditionExpression: 'attribute_exists(PK) AND #version = :expected',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
        options,
      );
      if (Attributes === undefined) throw new Error('UpdateItem returned no attributes');
      return { kind: 'updated', item: fromRow(Attributes).item };
    } catch (err) {
      if (!(err instanceof ConditionFailed)) throw err;
      const old = await this.#failedRow(err, tenantId, id, options);
      return old === undefined
        ? { kind: 'not_found' }
        : { kind: 'version_conflict', currentVersion: fromRow(old).item.version };
    }
  }

  /**
   * The item as the failed condition saw it: from the error when DynamoDB returns it
   * (ReturnValuesOnConditionCheckFailure), otherwise one consistent read.
   */
  async #failedRow(
    err: ConditionFailed,
    tenantId: string,
    id: string,
    options?: CallOptions,
  ): Promise<Record<string, unknown> | undefined> {
    if (err.item !== undefined) return err.item;
    return this.#getRow(tenantId, id, options);
  }

  /**
   * One conditional UpdateItem: the stock moves by delta unless that would leave [0,
   * ceiling], or the request id is already recorded. With a request id, the same write
   * records the id (→ "<hash>|<at>") and the stock before the change (the right-hand side
   * of a SET reads the item as it was): a repeat, even after a crash between this write
   * and the answer, finds the record and changes nothing. DynamoDB applies one
   * UpdateItem atomically, so no transaction is needed (dynalite has none).
   */
  #remember(tenantId: string, id: string, count: number) {
    const key = `${tenantId}\n${id}`;
    this.#lastStock.delete(key);
    this.#lastStock.set(key, count);
    if (this.#lastStock.size > 10_000) {
      const oldest = this.#lastStock.keys().next().value;
      if (oldest !== undefined) this.#lastStock.delete(oldest);
    }
  }

  /** What a stock change would meet, from a consistent read; undefined when the write should decide. */
  #outcomeFromRow(
    row: Record<string, unknown> | undefined,
    change: InventoryChange,
  ): InventoryOutcome | undefined {
    if (row === undefined) return { kind: 'not_found' };
    const item = fromRow(row).item;
    this.#remember(change.tenantId, change.id, item.inventoryCount);
    if (change.request !== undefined) {
      const { requests, previous } = inventoryRequests(row);
      const seen = requests[change.request.id];
      if (seen !== undefined)
        return seen.split('|')[0] === change.request.hash
          ? { kind: 'replayed', item, previousCount: previous[change.request.id] ?? item.inventoryCount }
          : { kind: 'request_conflict' };
    }
    if (item.inventoryCount + change.delta < 0)
      return { kind: 'insufficient', available: item.inventoryCount };
    if (item.inventoryCount + change.delta > change.ceiling)
      return { kind: 'over_limit', available: item.inventoryCount };
    return undefined;
  }

  /**
   * A change goes round again when its write failed a condition that the read after it
   * does not explain (the item changed in between: dynalite returns no item with the
   * failure), or when the stock ran out while it waited and a read then shows some again.
   * Nothing was applied in either case, so another attempt is safe; after STOCK_ATTEMPTS
   * the answer is `contended`.
   */
  async adjustInventory(change: InventoryChange, options?: CallOptions): Promise<InventoryOutcome> {
    const key = `${change.tenantId}\n${change.id}`;
    const doomed = () => {
      const known = this.#lastStock.get(key);
      return change.delta < 0 && known !== undefined && known + change.delta < 0;
    };
    const early = async () =>
      this.#outcomeFromRow(await this.#sharedRead(key, change.tenantId, change.id, options), change);
    for (let attempt = 1; attempt <= STOCK_ATTEMPTS; attempt += 1) {
      if (doomed()) {
        const outcome = await early();
        if (outcome !== undefined) return outcome;
      }
      const written = await this.#stockWrites.run(key, async () => {
        // While this waited, the stock may have run out: then give the slot back at once.
        if (doomed()) return undefined;
        options?.signal?.throwIfAborted();
        return this.#writeStock(change, options);
      });
      if (written !== undefined && written !== UNEXPLAINED) return written;
      options?.signal?.throwIfAborted();
    }
    return { kind: 'contended', attempts: STOCK_ATTEMPTS };
  }

  readonly #reads = new Map<string, Promise<Record<string, unknown> | undefined>>();

  /**
   * One consistent read shared by the calls that ask for the same item while it is in
   * flight: each of them is concurrent with it, so its answer is a valid moment for all.
   */
  #sharedRead(key: string, tenantId: string, id: string, options?: CallOptions) {
    const running = this.#reads.get(key);
    if (running !== undefined) return running;
    const read = this.#getRow(tenantId, id, options).finally(() => this.#reads.delete(key));
    this.#reads.set(key, read);
    return read;
  }

  async #writeStock(
    change: InventoryChange,
    options?: CallOptions,
  ): Promise<InventoryOutcome | typeof UNEXPLAINED> {
    const { tenantId, id, delta, request } = change;
    const names: Record<string, string> = { '#version': 'version' };
    const values: Record<string, unknown> = {
      ':delta': delta,
      ':one': 1,
      ':at': change.at,
      ':by': change.by,
      ':needed': Math.max(0, -delta),
      ':ceiling': change.ceiling - Math.max(0, delta),
    };
    const sets = [
      'inventory_count = inventory_count + :delta',
      '#version = #version + :one',
      'updated_at = :at',
      'updated_by = :by',
    ];
    const conditions = ['attribute_exists(PK)', 'inventory_count >= :needed', 'inventory_count <= :ceiling'];
    if (request !== undefined) {
      names['#rid'] = request.id;
      values[':record'] = `${request.hash}|${change.at}`;
      sets.push('inventory_requests.#rid = :record', 'inventory_previous.#rid = inventory_count');
      conditions.push('attribute_not_exists(inventory_requests.#rid)');
    }
    const input: UpdateInput = {
      TableName: this.#table,
      Key: { PK: keys.pk(tenantId), SK: keys.sk(id) },
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: conditions.join(' AND '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    };
    let attributes: Record<string, unknown> | undefined;
    try {
      attributes = await this.#sendWithRecordMaps(input, tenantId, id, options);
    } catch (err) {
      if (!(err instanceof ConditionFailed)) throw err;
      // Nothing was applied. The item as the condition saw it explains why; a read after
      // the failure may instead show a later state that allows the change.
      const old = await this.#failedRow(err, tenantId, id, options);
      return this.#outcomeFromRow(old, change) ?? UNEXPLAINED;
    }
    if (attributes === undefined) throw new Error('UpdateItem returned no attributes');
    let item = fromRow(attributes).item;
    this.#remember(tenantId, id, item.inventoryCount);
    const previousCount = item.inventoryCount - delta;
    const status = statusAfterStockChange(item.status, item.inventoryCount);
    if (status !== item.status) item = (await this.#followStock(item, status, change.at, options)) ?? item;
    if (request !== undefined) await this.#forgetOldRequests(attributes, tenantId, id, options);
    return { kind: 'updated', item, previousCount };
  }

  /** Rows written before stock changes were idempotent lack the record maps: add them once. */
  async #sendWithRecordMaps(input: UpdateInput, tenantId: string, id: string, options?: CallOptions) {
    try {
      return await this.#db.update(input, options);
    } catch (err) {
      const missingMaps =
        (err as { name?: string }).name === 'ValidationException' &&
        /document path/i.test((err as Error).message) &&
        input.UpdateExpression?.includes('inventory_requests') === true;
      if (!missingMaps) throw err;
      await this.#db.update(
        {
          TableName: this.#table,
          Key: { PK: keys.pk(tenantId), SK: keys.sk(id) },
          UpdateExpression:
            'SET inventory_requests = if_not_exists(inventory_requests, :empty), inventory_previous = if_not_exists(inventory_previous, :empty)',
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeValues: { ':empty': {} },
        },
        options,
      );
      return this.#db.update(input, options);
    }
  }

  /**
   * Sets the status a stock change leads to, only on the version that change produced
   * (a later writer applies the rule to its own result). Returns the item, or undefined
   * when a later write got there first.
   */
  async #followStock(item: Item, status: Item['status'], at: string, options?: CallOptions) {
    try {
      const Attributes = await this.#db.update(
        {
          TableName: this.#table,
          Key: { PK: keys.pk(item.tenantId), SK: keys.sk(item.id) },
          UpdateExpression:
            'SET #status = :status, GSI1SK = :gsi1sk, GSI2PK = :gsi2pk, #version = #version + :one, updated_at = :at',
          ConditionExpression: '#version = :version',
          ExpressionAttributeNames: { '#status': 'status', '#version': 'version' },
          ExpressionAttributeValues: {
            ':status': status,
            ':gsi1sk': keys.gsi1sk(status, item.id),
            ':gsi2pk': keys.gsi2pk(item.tenantId, status),
            ':one': 1,
            ':at': at,
            ':version': item.version,
          },
          ReturnValues: 'ALL_NEW',
        },
        options,
      );
      return Attributes === undefined ? undefined : fromRow(Attributes).item;
    } catch (err) {
      if (err instanceof ConditionFailed) return undefined;
      throw err;
    }
  }

  /** Keeps the record of request ids bounded (requestsToForget: the rule every repository follows). */
  async #forgetOldRequests(
    row: Record<string, unknown>,
    tenantId: string,
    id: string,
    options?: CallOptions,
  ) {
    const { requests } = inventoryRequests(row);
    const oldest = requestsToForget(
      Object.entries(requests).map(([rid, record]) => [rid, record.split('|')[1] ?? ''] as const),
      this.#rememberedRequests,
    );
    if (oldest.length === 0) return;
    const names = Object.fromEntries(oldest.map((rid, i) => [`#r${i}`, rid]));
    await this.#db.update(
      {
        TableName: this.#table,
        Key: { PK: keys.pk(tenantId), SK: keys.sk(id) },
        UpdateExpression: `REMOVE ${oldest.map((_, i) => `inventory_requests.#r${i}, inventory_previous.#r${i}`).join(', ')}`,
        ExpressionAttributeNames: names,
      },
      options,
    );
  }

  /**
   * One page, reading at most `budget` items: category, status and both together are key
   * conditions on an index; search is a filter, so it is what the budget bounds. Collects
   * one item more than the page: if it exists there is a next page, and the page ends at
   * the last item returned. When the budget runs out first, the page holds what matched
   * and the position continues after the last item read.
   */
  async list(
    tenantId: string,
    filter: ListFilter,
    after: Record<string, string> | undefined,
    options: ListOptions,
  ): Promise<Page> {
    const path = listPath(tenantId, filter);
    if (after !== undefined) {
      const exact =
        Object.keys(after).length === path.keyAttributes.length &&
        path.keyAttributes.every((a) => typeof after[a] === 'string');
      if (!exact || !path.owns(after)) throw invalidArgument('page_token', 'does not belong to this query');
    }
    const values: Record<string, unknown> = { ...path.values };
    const filters: string[] = [];
    if (filter.search !== undefined) {
      values[':search'] = filter.search;
      filters.push('contains(search_text, :search)');
    }
    const found: Array<Record<string, unknown>> = [];
    let scanned = 0;
    let startKey: Record<string, unknown> | undefined = after;
    do {
      const input: QueryInput = {
        TableName: this.#table,
        KeyConditionExpression: path.keyCondition,
        ExpressionAttributeValues: values,
        // Without a filter every item read matches: read no more than the page needs.
        Limit: Math.min(
          filters.length === 0 ? options.pageSize + 1 - found.length : QUERY_BATCH,
          options.budget - scanned,
        ),
        ExclusiveStartKey: startKey,
        ...(path.index === undefined ? { ConsistentRead: true } : { IndexName: path.index }),
        ...(filters.length === 0 ? {} : { FilterExpression: filters.join(' AND ') }),
      };
      const result = await this.#db.query(input, options);
      scanned += result.ScannedCount;
      found.push(...result.Items);
      startKey = result.LastEvaluatedKey;
    } while (found.length <= options.pageSize && startKey !== undefined && scanned < options.budget);

    const rows = found.slice(0, options.pageSize);
    const positionOf = (row: Record<string, unknown>) =>
      Object.fromEntries(path.keyAttributes.map((k) => [k, String(row[k])]));
    const last = rows.at(-1);
    const next =
      found.length > options.pageSize && last !== undefined
        ? positionOf(last)
        : startKey === undefined
          ? undefined
          : positionOf(startKey);
    return { items: rows.map((row) => fromRow(row).item), next, scanned };
  }

  async ping(): Promise<void> {
    await this.#db.get({ TableName: this.#table, Key: { PK: 'PING', SK: 'PING' } });
  }
}
