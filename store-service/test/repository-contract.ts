// What every ItemRepository must do, run against each implementation (in memory and
// DynamoDB): the domain and the gRPC layer are tested on the in-memory one, so it must
// behave exactly like the real one.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LIMITS } from 'store-contract';
import {
  guaranteedRequests,
  type ItemRepository,
  REMEMBERED_REQUESTS,
  type RepositoryOptions,
} from '../src/data/repository.ts';
import type { Item } from '../src/domain/item.ts';

export interface RepositoryUnderTest {
  readonly repository: ItemRepository;
  /** A repository of the same kind with these options (items created through it stay there). */
  withOptions(options: RepositoryOptions): ItemRepository;
  close(): Promise<void>;
}

let sequence = 0;
/** Ids in creation order (as uuidv7 gives them), unique per run. */
const nextId = () => {
  sequence += 1;
  const hex = (Date.now() * 1000 + sequence).toString(16).padStart(12, '0').slice(-12);
  return `0190${hex.slice(0, 4)}-${hex.slice(4, 8)}-7${hex.slice(8, 11)}-8000-${String(sequence).padStart(12, '0')}`;
};

export function item(tenantId: string, fields: Partial<Item> = {}): Item {
  const at = '2026-01-01T00:00:00.000Z';
  return {
    id: nextId(),
    tenantId,
    name: 'Dune',
    description: 'A desert planet',
    priceCents: 1299,
    category: 'books',
    status: 'active',
    sku: '',
    inventoryCount: 5,
    tags: [],
    createdAt: at,
    updatedAt: at,
    createdBy: 'anonymous',
    updatedBy: 'anonymous',
    version: 1,
    ...fields,
  };
}

async function listAll(
  repository: ItemRepository,
  tenantId: string,
  filter: Parameters<ItemRepository['list']>[1],
  pageSize: number,
  budget = 10_000,
): Promise<{ ids: string[]; pages: number[]; scanned: number[] }> {
  const ids: string[] = [];
  const pages: number[] = [];
  const scanned: number[] = [];
  let next: Record<string, string> | undefined;
  do {
    const page = await repository.list(tenantId, filter, next, { pageSize, budget });
    ids.push(...page.items.map((i) => i.id));
    pages.push(page.items.length);
    scanned.push(page.scanned);
    next = page.next;
  } while (next !== undefined);
  return { ids, pages, scanned };
}

const stock = (tenantId: string, id: string, delta: number, request?: { id: string; hash: string }) => ({
  tenantId,
  id,
  delta,
  by: 'u',
  at: new Date().toISOString(),
  ceiling: 1000,
  ...(request === undefined ? {} : { request }),
});

export function repositoryContract(name: string, open: () => Promise<RepositoryUnderTest>): void {
  describe(`ItemRepository contract: ${name}`, () => {
    let subject: RepositoryUnderTest;
    let repo: ItemRepository;
    before(async () => {
      subject = await open();
      repo = subject.repository;
    });
    after(async () => {
      await subject?.close();
    });

    it('creates once: a second create with the same id returns the stored item and its request hash', async () => {
      const first = item('contract-create');
      assert.deepEqual(await repo.createIfAbsent(first, 'hash-1'), {
        created: true,
        stored: { item: first, requestHash: 'hash-1' },
      });
      const again = await repo.createIfAbsent({ ...first, name: 'Other' }, 'hash-2');
      assert.equal(again.created, false);
      assert.deepEqual(again.stored, { item: first, requestHash: 'hash-1' });
      assert.deepEqual(await repo.get('contract-create', first.id), first);
    });

    it('keeps tenants apart', async () => {
      const mine = item('contract-a');
      await repo.createIfAbsent(mine, undefined);
      assert.equal(await repo.get('contract-b', mine.id), null);
      assert.deepEqual(
        (await repo.list('contract-b', {}, undefined, { pageSize: 10, budget: 100 })).items,
        [],
      );
    });

    it('updates only the expected version, bumps it, and reports conflicts and missing items', async () => {
      const it1 = item('contract-update');
      await repo.createIfAbsent(it1, undefined);
      const updated = await repo.update(
        'contract-update',
        it1.id,
        1,
        { name: 'Dune Messiah', status: 'discontinued' },
        'paul',
        '2026-02-02T00:00:00.000Z',
      );
      assert.equal(updated.kind, 'updated');
      assert.ok(updated.kind === 'updated');
      assert.equal(updated.item.name, 'Dune Messiah');
      assert.equal(updated.item.status, 'discontinued');
      assert.equal(updated.item.version, 2);
      assert.equal(updated.item.updatedBy, 'paul');
      assert.equal(updated.item.updatedAt, '2026-02-02T00:00:00.000Z');
      assert.equal(updated.item.createdAt, it1.createdAt);
      assert.deepEqual(await repo.update('contract-update', it1.id, 1, { name: 'x' }, 'a', 'b'), {
        kind: 'version_conflict',
        currentVersion: 2,
      });
      assert.deepEqual(await repo.update('contract-update', item('x').id, 1, { name: 'x' }, 'a', 'b'), {
        kind: 'not_found',
      });
    });

    it('adjusts stock atomically, never below zero nor above the ceiling', async () => {
      const it1 = item('contract-stock', { inventoryCount: 3 });
      await repo.createIfAbsent(it1, undefined);
      const taken = await repo.adjustInventory(stock('contract-stock', it1.id, -2));
      assert.ok(taken.kind === 'updated');
      assert.equal(taken.previousCount, 3);
      assert.equal(taken.item.inventoryCount, 1);
      assert.equal(taken.item.version, 2);
      assert.deepEqual(await repo.adjustInventory(stock('contract-stock', it1.id, -2)), {
        kind: 'insufficient',
        available: 1,
      });
      assert.deepEqual(await repo.adjustInventory(stock('contract-stock', it1.id, 1000)), {
        kind: 'over_limit',
        available: 1,
      });
      assert.deepEqual(await repo.adjustInventory(stock('contract-stock', item('x').id, 1)), {
        kind: 'not_found',
      });
      const results = await Promise.all(
        Array.from({ length: 5 }, () => repo.adjustInventory(stock('contract-stock', it1.id, -1))),
      );
      assert.equal(results.filter((r) => r.kind === 'updated').length, 1);
      assert.equal((await repo.get('contract-stock', it1.id))?.inventoryCount, 0);
    });

    it('status follows stock: active at 0 → out_of_stock, refilled → active, discontinued stays', async () => {
      const it1 = item('contract-status', { inventoryCount: 1 });
      await repo.createIfAbsent(it1, undefined);
      const empty = await repo.adjustInventory(stock('contract-status', it1.id, -1));
      assert.ok(empty.kind === 'updated');
      assert.equal(empty.item.status, 'out_of_stock');
      assert.equal((await repo.get('contract-status', it1.id))?.status, 'out_of_stock');
      const refilled = await repo.adjustInventory(stock('contract-status', it1.id, 2));
      assert.ok(refilled.kind === 'updated');
      assert.equal(refilled.item.status, 'active');
      const gone = item('contract-status', { inventoryCount: 1, status: 'discontinued' });
      await repo.createIfAbsent(gone, undefined);
      const sold = await repo.adjustInventory(stock('contract-status', gone.id, -1));
      assert.ok(sold.kind === 'updated');
      assert.equal(sold.item.status, 'discontinued');
      const { ids } = await listAll(repo, 'contract-status', { status: 'active' }, 10);
      assert.deepEqual(ids, [it1.id], 'the status index follows');
    });

    it('a repeated stock change with the same request id applies once and returns the first result', async () => {
      const it1 = item('contract-idem', { inventoryCount: 10 });
      await repo.createIfAbsent(it1, undefined);
      const request = { id: 'req-1', hash: 'h1' };
      const first = await repo.adjustInventory(stock('contract-idem', it1.id, -3, request));
      assert.ok(first.kind === 'updated');
      await repo.adjustInventory(stock('contract-idem', it1.id, -1));
      const again = await repo.adjustInventory(stock('contract-idem', it1.id, -3, request));
      assert.equal(again.kind, 'replayed');
      assert.ok(again.kind === 'replayed');
      assert.equal(again.previousCount, 10, 'the first call’s previous count');
      assert.equal(again.item.inventoryCount, 6, 'the item as it is now');
      assert.deepEqual(
        await repo.adjustInventory(stock('contract-idem', it1.id, -4, { id: 'req-1', hash: 'h2' })),
        {
          kind: 'request_conflict',
        },
      );
      const concurrent = await Promise.all(
        Array.from({ length: 6 }, () =>
          repo.adjustInventory(stock('contract-idem', it1.id, -1, { id: 'req-2', hash: 'h3' })),
        ),
      );
      assert.equal(concurrent.filter((r) => r.kind === 'updated').length, 1);
      assert.equal(concurrent.filter((r) => r.kind === 'replayed').length, 5);
      assert.equal((await repo.get('contract-idem', it1.id))?.inventoryCount, 5);
    });

    it('remembers a stock-change request id while at most remembered - remembered/5 keyed changes came after it, then forgets it', async () => {
      // The rule of requestsToForget on a small window (the default 500 keeps 400 sure):
      // keep 10, forget the oldest 2 at 11, so an id is sure to be remembered for 8 more.
      const remembered = 10;
      const sure = guaranteedRequests(remembered);
      assert.equal(sure, 8);
      assert.equal(
        guaranteedRequests(REMEMBERED_REQUESTS),
        LIMITS.stockRequestWindow,
        'what the contract promises',
      );
      const windowed = subject.withOptions({ rememberedRequests: remembered });
      const it1 = item('contract-window', { inventoryCount: 0 });
      await windowed.createIfAbsent(it1, undefined);
      // One keyed change a millisecond, so "after" is unambiguous; +1 and -1 by turns.
      const keyed = (i: number, at = i) => {
        const delta = i % 2 === 0 ? 1 : -1;
        return {
          ...stock('contract-window', it1.id, delta, { id: `w-${i}`, hash: `h${delta}` }),
          at: new Date(Date.UTC(2026, 0, 1) + at).toISOString(),
        };
      };
      // Forgetting happens at 11 kept (after change 10) and again after change 12.
      const last = remembered + Math.ceil(remembered / 5);
      for (let i = 0; i <= last; i += 1) {
        const outcome = await windowed.adjustInventory(keyed(i));
        assert.equal(outcome.kind, 'updated', `change ${i}`);
      }
      assert.equal((await windowed.adjustInventory(keyed(last))).kind, 'replayed', 'the last one');
      const edge = last - sure;
      assert.equal(
        (await windowed.adjustInventory(keyed(edge))).kind,
        'replayed',
        `${sure} later changes: remembered`,
      );
      const older = await windowed.adjustInventory(keyed(edge - 1, last + 1));
      assert.equal(older.kind, 'updated', `${sure + 1} later changes: forgotten, so applied as new`);
    });

    it('mixed concurrent +1 and -1 on one item: every change applied or refused for a stated reason, the stock exact', async () => {
      // Stock near zero, so decrements keep meeting an empty item while increments refill
      // it: a -1 whose condition fails can find stock again when it looks (issue 27).
      const rounds = 3;
      const size = 200;
      const tally = { applied: 0, insufficient: 0, other: [] as string[] };
      for (let round = 0; round < rounds; round += 1) {
        const start = 2;
        const it1 = item('contract-mixed', { inventoryCount: start });
        await repo.createIfAbsent(it1, undefined);
        const deltas = Array.from({ length: size }, (_, i) => ((i * 7 + round) % 3 === 0 ? 1 : -1));
        const results = await Promise.allSettled(
          deltas.map((delta, i) =>
            repo.adjustInventory(
              stock(
                'contract-mixed',
                it1.id,
                delta,
                // Half with request ids: the condition then also names the request.
                i % 2 === 0 ? { id: `mixed-${round}-${i}`, hash: `h${delta}` } : undefined,
              ),
            ),
          ),
        );
        let appliedSum = 0;
        results.forEach((result, i) => {
          if (result.status === 'rejected') {
            tally.other.push(String((result.reason as Error).message));
            return;
          }
          const outcome = result.value;
          if (outcome.kind === 'updated') {
            tally.applied += 1;
            appliedSum += deltas[i] ?? 0;
            assert.equal(outcome.item.inventoryCount - outcome.previousCount, deltas[i]);
          } else if (outcome.kind === 'insufficient') {
            tally.insufficient += 1;
            assert.equal(deltas[i], -1, 'only a decrement is refused for stock');
            assert.equal(outcome.available, 0, 'refused at a moment the stock was 0');
          } else tally.other.push(outcome.kind);
        });
        assert.equal((await repo.get('contract-mixed', it1.id))?.inventoryCount, start + appliedSum);
      }
      assert.deepEqual(tally.other, [], 'no error, no other outcome');
      assert.equal(tally.applied + tally.insufficient, rounds * size);
      assert.ok(tally.applied > 0);
    });

    it('lists every match exactly once, in full pages, under each filter', async () => {
      const tenant = 'contract-list';
      const created: Item[] = [];
      for (let i = 0; i < 23; i += 1) {
        const fields: Partial<Item> = {
          name: i % 3 === 0 ? `Needle ${i}` : `Hay ${i}`,
          category: i % 2 === 0 ? 'books' : 'toys',
          status: i % 4 === 0 ? 'out_of_stock' : 'active',
        };
        const one = item(tenant, fields);
        created.push(one);
        await repo.createIfAbsent(one, undefined);
      }
      const expect = (pick: (i: Item) => boolean) =>
        created
          .filter(pick)
          .map((i) => i.id)
          .sort();
      const cases: Array<[Parameters<ItemRepository['list']>[1], (i: Item) => boolean]> = [
        [{}, () => true],
        [{ category: 'books' }, (i) => i.category === 'books'],
        [{ status: 'out_of_stock' }, (i) => i.status === 'out_of_stock'],
        [{ category: 'toys', status: 'active' }, (i) => i.category === 'toys' && i.status === 'active'],
        [{ search: 'needle' }, (i) => i.name.startsWith('Needle')],
        [
          { category: 'books', search: 'needle' },
          (i) => i.category === 'books' && i.name.startsWith('Needle'),
        ],
      ];
      for (const [filter, pick] of cases) {
        const { ids, pages } = await listAll(repo, tenant, filter, 4);
        assert.deepEqual([...ids].sort(), expect(pick), JSON.stringify(filter));
        assert.equal(new Set(ids).size, ids.length, `no duplicates for ${JSON.stringify(filter)}`);
        assert.ok(
          pages.slice(0, -1).every((n) => n === 4),
          `full pages for ${JSON.stringify(filter)}: ${pages}`,
        );
      }
      const byId = await listAll(repo, tenant, {}, 5);
      assert.deepEqual(byId.ids, [...byId.ids].sort(), 'unfiltered lists are in id order');
    });

    it('reads at most the budget per page; short or empty pages still continue, and every match comes once', async () => {
      const tenant = 'contract-budget';
      const needles: string[] = [];
      for (let i = 0; i < 30; i += 1) {
        const one = item(tenant, { name: i % 10 === 9 ? `Needle ${i}` : `Hay ${i}` });
        if (one.name.startsWith('Needle')) needles.push(one.id);
        await repo.createIfAbsent(one, undefined);
      }
      const { ids, pages, scanned } = await listAll(repo, tenant, { search: 'needle' }, 5, 4);
      assert.deepEqual([...ids].sort(), needles.sort());
      assert.ok(
        scanned.every((n) => n <= 4),
        `scanned per page: ${scanned}`,
      );
      assert.ok(
        pages.some((n) => n === 0),
        'a page that found nothing still continues',
      );
      const none = await listAll(repo, tenant, { search: 'nomatch' }, 5, 7);
      assert.deepEqual(none.ids, []);
      assert.ok(none.scanned.every((n) => n <= 7));
      assert.ok(none.scanned.reduce((a, b) => a + b, 0) >= 30, 'the scan reaches the end');
    });

    it('answers ping while it is reachable', async () => {
      await repo.ping();
    });
  });
}
