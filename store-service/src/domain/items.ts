import { createHash } from 'node:crypto';
import { LIMITS } from 'store-contract';
import { v5 as uuidv5, v7 as uuidv7 } from 'uuid';
import type { CallOptions, ItemRepository } from '../data/repository.ts';
import { StoreError } from './errors.ts';
import type { Category, Item, ItemChanges, ItemStatus, ListFilter } from './item.ts';
import { PageTokens } from './page-token.ts';
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

export interface AdjustInventoryInput {
  readonly tenantId: string;
  readonly id: string;
  readonly quantityChange: number;
  readonly reason: string;
  readonly userId: string;
  /** Idempotency key; empty for none. */
  readonly requestId: string;
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

export interface ItemServiceOptions {
  /** Items one list call may read (see ListOptions.budget). */
  readonly listBudget?: number;
  /** Seals page tokens (default: a key of this process only). */
  readonly pageTokens?: PageTokens;
  readonly now?: () => Date;
}

/** Default of LIST_SCAN_BUDGET: items one list call reads at most. */
export const DEFAULT_LIST_BUDGET = 1000;

const fingerprint = (value: unknown) =>
  createHash('sha256').update(JSON.stringify(value)).digest('base64url');

/** The store's use cases: validation, ids, idempotency and error semantics over a repository. */
export class ItemService {
  readonly #repository: ItemRepository;
  readonly #now: () => Date;
  readonly #listBudget: number;
  readonly #pageTokens: PageTokens;

  constructor(repository: ItemRepository, options: ItemServiceOptions = {}) {
    this.#repository = repository;
    this.#now = options.now ?? (() => new Date());
    this.#listBudget = options.listBudget ?? DEFAULT_LIST_BUDGET;
    this.#pageTokens = options.pageTokens ?? PageTokens.ephemeral();
  }

  async create(input: CreateItemInput, options?: CallOptions): Promise<{ item: Item; created: boolean }> {
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
    const requestHash = requestId === undefined ? undefined : fingerprint(fields);
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
    const { created, stored } = await this.#repository.createIfAbsent(item, requestHash, options);
    if (!created && stored.requestHash !== requestHash) {
      throw new StoreError('already_exists', 'request_id: was already used for a different item', {
        field: 'request_id',
      });
    }
    return { item: stored.item, created };
  }

  async get(tenantId: string, id: string, options?: CallOptions): Promise<Item> {
    const item = await this.#repository.get(check.tenantId(tenantId), check.itemId(id), options);
    if (item === null) throw notFound(id);
    return item;
  }

  async update(input: UpdateItemInput, options?: CallOptions): Promise<Item> {
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
      options,
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
  async delete(tenantId: string, id: string, userId: string, options?: CallOptions): Promise<Item> {
    const current = await this.get(tenantId, id, options);
    if (current.status === 'discontinued') return current;
    return this.update(
      { tenantId, id, expectedVersion: current.version, userId, changes: { status: 'discontinued' } },
      options,
    );
  }

  async adjustInventory(
    input: AdjustInventoryInput,
    options?: CallOptions,
  ): Promise<{ item: Item; previousCount: number; replayed: boolean }> {
    const delta = check.quantityChange(input.quantityChange);
    const reason = check.reason(input.reason);
    const requestId = check.requestId(input.requestId);
    const outcome = await this.#repository.adjustInventory(
      {
        tenantId: check.tenantId(input.tenantId),
        id: check.itemId(input.id),
        delta,
        by: check.userId(input.userId),
        at: this.#now().toISOString(),
        ceiling: LIMITS.maxInventory,
        ...(requestId === undefined
          ? {}
          : { request: { id: requestId, hash: fingerprint([delta, reason]) } }),
      },
      options,
    );
    switch (outcome.kind) {
      case 'updated':
      case 'replayed':
        return {
          item: outcome.item,
          previousCount: outcome.previousCount,
          replayed: outcome.kind === 'replayed',
        };
      case 'request_conflict':
        throw new StoreError('already_exists', 'request_id: was already used for a different stock change', {
          field: 'request_id',
        });
      case 'not_found':
        throw notFound(input.id);
      case 'insufficient':
        throw new StoreError(
          'failed_precondition',
          `insufficient stock: ${outcome.available} available, change of ${delta} refused`,
        );
      case 'contended':
        throw new StoreError(
          'unavailable',
          `the stock of item ${input.id} kept changing under this change (${outcome.attempts} attempts): nothing was changed, retry`,
        );
      case 'over_limit':
        throw new StoreError(
          'failed_precondition',
          `stock would exceed ${LIMITS.maxInventory}: ${outcome.available} in stock, change of ${delta} refused`,
        );
    }
  }

  async list(
    input: ListItemsInput,
    options?: CallOptions,
  ): Promise<{ items: readonly Item[]; nextPageToken: string; scanned: number }> {
    const tenantId = check.tenantId(input.tenantId);
    const search = check.search(input.search);
    const filter: ListFilter = {
      ...(input.category === undefined ? {} : { category: input.category }),
      ...(input.status === undefined ? {} : { status: input.status }),
      ...(search === undefined ? {} : { search }),
    };
    const pageSize = check.pageSize(input.pageSize);
    const after =
      input.pageToken === '' ? undefined : this.#pageTokens.open(input.pageToken, tenantId, filter);
    const page = await this.#repository.list(tenantId, filter, after, {
      pageSize,
      budget: this.#listBudget,
      ...(options?.signal === undefined ? {} : { signal: options.signal }),
    });
    return {
      items: page.items,
      nextPageToken: page.next === undefined ? '' : this.#pageTokens.seal(tenantId, filter, page.next),
      scanned: page.scanned,
    };
  }
}
