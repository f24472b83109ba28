import { createHash } from 'node:crypto';
import { v5 as uuidv5, v7 as uuidv7 } from 'uuid';
import type { ItemRepository } from '../data/repository.ts';
import { StoreError } from './errors.ts';
import type { Category, Item, ItemChanges, ItemStatus, ListFilter } from './item.ts';
import { decodePageToken, encodePageToken } from './page-token.ts';
import * as check from './validate.ts';

/** Namespace for item ids derived from (tenant, request id): a retry maps to the same id. */
const REQUEST_ID_NAMESPACE = '3f1c2a8e-6b1d-4c5e-9a7f-0d2b4e6f8a10';

export interface CreateItemInput {
  readonly tenantId: string;
  readonly requestId: string;
  readonly name: string;
  readonly description: string;
  readonly priceCents: number;
  readonly category: Category | undefined;
  readonly sku: string;
  readonly inventoryCount: number;
  readonly tags: readonly string[];
  readonly userId: string;
}

export interface UpdateItemInput {
  readonly tenantId: string;
  readonly id: string;
  readonly expectedVersion: number;
  readonly userId: string;
  readonly changes: ItemChanges;
}

export interface ListItemsInput {
  readonly tenantId: string;
  readonly category: Category | undefined;
  readonly status: ItemStatus | undefined;
  readonly search: string;
  readonly pageSize: number;
  readonly pageToken: string;
}

const notFound = (id: string) => new StoreError('not_found', `item ${id} not found`);

/** The store's use cases: validation, ids, idempotency and error semantics over a repository. */
export class ItemService {
  readonly #repository: ItemRepository;
  readonly #now: () => Date;

  constructor(repository: ItemRepository, now: () => Date = () => new Date()) {
    this.#repository = repository;
    this.#now = now;
  }

  async create(input: CreateItemInput): Promise<{ item: Item; created: boolean }> {
    const tenantId = check.tenantId(input.tenantId);
    const requestId = check.requestId(input.requestId);
    if (input.category === undefined)
      throw new StoreError('invalid_argument', 'category: is required', { field: 'category' });
    const fields = {
      name: check.name(input.name),
      description: check.description(input.description),
      priceCents: check.priceCents(input.priceCents),
      category: input.category,
      sku: check.sku(input.sku),
      inventoryCount: check.inventoryCount(input.inventoryCount),
      tags: check.tags(input.tags),
    };
    const userId = check.userId(input.userId);
    const now = this.#now().toISOString();
    const id = requestId === undefined ? uuidv7() : uuidv5(`${tenantId}\n${requestId}`, REQUEST_ID_NAMESPACE);
    const requestHash =
      requestId === undefined
        ? undefined
        : createHash('sha256').update(JSON.stringify(fields)).digest('base64url');
    const item: Item = {
      id,
      tenantId,
      ...fields,
      status: fields.inventoryCount > 0 ? 'active' : 'out_of_stock',
      createdAt: now,
      updatedAt: now,
      createdBy: userId,
      updatedBy: userId,
      version: 1,
    };
    const { created, stored } = await this.#repository.createIfAbsent(item, requestHash);
    if (!created && stored.requestHash !== requestHash) {
      throw new StoreError('already_exists', 'request_id: was already used for a different item', {
        field: 'request_id',
      });
    }
    return { item: stored.item, created };
  }

  async get(tenantId: string, id: string): Promise<Item> {
    const item = await this.#repository.get(check.tenantId(tenantId), check.itemId(id));
    if (item === null) throw notFound(id);
    return item;
  }

  async update(input: UpdateItemInput): Promise<Item> {
    const tenantId = check.tenantId(input.tenantId);
    const id = check.itemId(input.id);
    const expected = check.expectedVersion(input.expectedVersion);
    const c = input.changes;
    const changes: ItemChanges = {
      ...(c.name === undefined ? {} : { name: check.name(c.name) }),
      ...(c.description === undefined ? {} : { description: check.description(c.description) }),
      ...(c.priceCents === undefined ? {} : { priceCents: check.priceCents(c.priceCents) }),
      ...(c.category === undefined ? {} : { category: c.category }),
      ...(c.status === undefined ? {} : { status: c.status }),
      ...(c.sku === undefined ? {} : { sku: check.sku(c.sku) }),
      ...(c.tags === undefined ? {} : { tags: check.tags(c.tags) }),
    };
    const userId = check.userId(input.userId);
    const outcome = await this.#repository.update(
      tenantId,
      id,
      expected,
      changes,
      userId,
      this.#now().toISOString(),
    );
    switch (outcome.kind) {
      case 'updated':
        return outcome.item;
      case 'not_found':
        throw notFound(id);
      case 'version_conflict':
        throw new StoreError(
          'aborted',
          `item ${id} is at version ${outcome.currentVersion}, not ${expected}: re-read it and retry`,
        );
    }
  }

  /** Soft delete: the item stays readable with status discontinued. */
  async delete(tenantId: string, id: string, userId: string): Promise<Item> {
    const current = await this.get(tenantId, id);
    if (current.status === 'discontinued') return current;
    return this.update({
      tenantId,
      id,
      expectedVersion: current.version,
      userId,
      changes: { status: 'discontinued' },
    });
  }

  async adjustInventory(
    tenantId: string,
    id: string,
    quantityChange: number,
    reason: string,
    userId: string,
  ): Promise<{ item: Item; previousCount: number }> {
    check.reason(reason);
    const outcome = await this.#repository.adjustInventory(
      check.tenantId(tenantId),
      check.itemId(id),
      check.quantityChange(quantityChange),
      check.userId(userId),
      this.#now().toISOString(),
    );
    switch (outcome.kind) {
      case 'updated':
        return { item: outcome.item, previousCount: outcome.previousCount };
      case 'not_found':
        throw notFound(id);
      case 'insufficient':
        throw new StoreError(
          'failed_precondition',
          `insufficient stock: ${outcome.available} available, change of ${quantityChange} refused`,
        );
    }
  }

  async list(input: ListItemsInput): Promise<{ items: readonly Item[]; nextPageToken: string }> {
    const tenantId = check.tenantId(input.tenantId);
    const search = check.search(input.search);
    const filter: ListFilter = {
      ...(input.category === undefined ? {} : { category: input.category }),
      ...(input.status === undefined ? {} : { status: input.status }),
      ...(search === undefined ? {} : { search }),
    };
    const pageSize = check.pageSize(input.pageSize);
    const after = input.pageToken === '' ? undefined : decodePageToken(input.pageToken, tenantId, filter);
    const page = await this.#repository.list(tenantId, filter, pageSize, after);
    return {
      items: page.items,
      nextPageToken: page.next === undefined ? '' : encodePageToken(tenantId, filter, page.next),
    };
  }
}
