// What every ItemRepository must do, run against each implementation (in memory and
// DynamoDB): the domain and the gRPC layer are tested on the in-memory one, so it must
// behave exactly like the real one.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ItemRepository } from '../src/data/repository.ts';
import type { Item } from '../src/domain/item.ts';

export interface RepositoryUnderTest {
  readonly repository: ItemRepository;
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
): Promise<{ ids: string[]; pages: number[] }> {
  const ids: string[] = [];
  const pages: number[] = [];
  let next: Record<string, string> | undefined;
  do {
    const page = await repository.list(tenantId, filter, pageSize, next);
    ids.push(...page.items.map((i) => i.id));
    pages.push(page.items.length);
    next = page.next;
  } while (next !== undefined);
  return { ids, pages };
}

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
      assert.deepEqual((await repo.list('contract-b', {}, 10, undefined)).items, []);
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

    it('adjusts stock atomically and never below zero', async () => {
      const it1 = item('contract-stock', { inventoryCount: 3 });
      await repo.createIfAbsent(it1, undefined);
      const taken = await repo.adjustInventory('contract-stock', it1.id, -2, 'u', 'at');
      assert.ok(taken.kind === 'updated');
      assert.equal(taken.previousCount, 3);
      assert.equal(taken.item.inventoryCount, 1);
      assert.equal(taken.item.version, 2);
      assert.deepEqual(await repo.adjustInventory('contract-stock', it1.id, -2, 'u', 'at'), {
        kind: 'insufficient',
        available: 1,
      });
      assert.deepEqual(await repo.adjustInventory('contract-stock', item('x').id, 1, 'u', 'at'), {
        kind: 'not_found',
      });
      const results = await Promise.all(
        Array.from({ length: 5 }, () => repo.adjustInventory('contract-stock', it1.id, -1, 'u', 'at')),
      );
      assert.equal(results.filter((r) => r.kind === 'updated').length, 1);
      assert.equal((await repo.get('contract-stock', it1.id))?.inventoryCount, 0);
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

    it('answers ping while it is reachable', async () => {
      await repo.ping();
    });
  });
}
