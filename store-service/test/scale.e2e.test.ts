// One tenant with 20,000 items: lists do bounded work per call (the scan budget), answer
// within the deadline under concurrency, and following the tokens visits every match once.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type EmbeddedDynamo, startEmbeddedDynamo } from 'local-runtime/dynalite';
import { type LocalIssuer, startIssuer } from 'local-runtime/issuer';
import type { ServiceProcess } from 'local-runtime/process';
import { startStore } from 'local-runtime/services';
import { Category, type ListItemsRequest } from 'store-contract';
import { waitFor } from 'test-harness/wait';
import { connectStore } from './store-client.ts';

const ITEMS = 20_000;
const BUDGET = 1000;
const DEADLINE_MS = 2000;
const tenantId = 'big';

describe('the store at scale (20,000 items in one tenant)', () => {
  let dynamo: EmbeddedDynamo;
  let issuer: LocalIssuer;
  let store: ServiceProcess;
  let client: ReturnType<typeof connectStore>;
  let needles = 0;
  const listLines: Array<{ items_read?: number }> = [];
  before(async () => {
    dynamo = await startEmbeddedDynamo();
    issuer = await startIssuer();
    // The process keeps a bounded window of log lines (20,000 creates overflow it), so the
    // list calls' lines are collected as they come.
    store = await startStore(
      dynamo,
      // Successful calls (and their items_read) are logged at debug.
      { ...issuer.env, LIST_SCAN_BUDGET: String(BUDGET), LOG_LEVEL: 'debug' },
      {
        onLog: (line) => {
          if (line.includes('"rpc":"ListItems"')) listLines.push(JSON.parse(line) as { items_read?: number });
        },
      },
    );
    client = connectStore(store.ports.port ?? 0, (tenant) => issuer.token(tenant));
    const c = client.client;
    let next = 0;
    const worker = async () => {
      while (next < ITEMS) {
        const i = next++;
        const needle = i % 1000 === 7;
        if (needle) needles += 1;
        await client.call(c.createItem, {
          tenantId,
          requestId: `seed-${i}`,
          name: needle ? `Needle ${i}` : `Hay ${i}`,
          description: '',
          priceCents: 1,
          category: i % 2 === 0 ? Category.CATEGORY_BOOKS : Category.CATEGORY_TOYS,
          sku: '',
          inventoryCount: i % 3,
          tags: [],
          userId: '',
        });
      }
    };
    await Promise.all(Array.from({ length: 64 }, worker));
  });
  after(async () => {
    client?.client.close();
    await store?.stop();
    await dynamo?.close();
    await issuer?.close();
  });

  const list = async (request: Partial<ListItemsRequest>) => {
    const full: ListItemsRequest = {
      tenantId,
      category: 0,
      status: 0,
      search: '',
      pageSize: 100,
      pageToken: '',
      ...request,
    };
    const metadata = await client.authenticated(full);
    return new Promise<{ ids: string[]; next: string }>((resolve, reject) => {
      client.client.listItems(full, metadata, { deadline: Date.now() + DEADLINE_MS }, (err, response) =>
        err ? reject(err) : resolve({ ids: response.items.map((i) => i.id), next: response.nextPageToken }),
      );
    });
  };

  it('16 concurrent lists that match nothing all answer within the deadline, each reading at most the budget', async () => {
    const from = listLines.length;
    const started = performance.now();
    const pages = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        list(i % 2 === 0 ? { search: 'nomatch' } : { search: 'nomatch', category: Category.CATEGORY_BOOKS }),
      ),
    );
    const ms = performance.now() - started;
    assert.ok(ms < DEADLINE_MS, `${Math.round(ms)} ms`);
    for (const page of pages) {
      assert.deepEqual(page.ids, []);
      assert.notEqual(page.next, '', 'an empty page that is not the end says where to continue');
    }
    const listed = () => listLines.slice(from);
    // Log lines arrive from the store process shortly after the answers.
    await waitFor(() => listed().length >= 16, {
      timeout: 5000,
      what: () => `16 log lines, ${listed().length} so far`,
    });
    const reads = listed().map((l) => l.items_read ?? -1);
    assert.equal(reads.length, 16);
    assert.ok(
      reads.every((n) => n > 0 && n <= BUDGET),
      `items read per call: ${reads}`,
    );
  });

  it('following the tokens visits every match exactly once (checked against a full read)', async () => {
    const all: string[] = [];
    let token = '';
    do {
      const page = await list({ pageToken: token });
      all.push(...page.ids);
      token = page.next;
    } while (token !== '');
    assert.equal(all.length, ITEMS, 'the full read sees every item');
    assert.equal(new Set(all).size, ITEMS);

    const found: string[] = [];
    let calls = 0;
    token = '';
    do {
      const page = await list({ search: 'needle', pageToken: token });
      found.push(...page.ids);
      token = page.next;
      calls += 1;
    } while (token !== '');
    assert.equal(found.length, needles);
    assert.equal(new Set(found).size, needles, 'no item twice');
    assert.ok(calls >= ITEMS / BUDGET, `${calls} calls for ${ITEMS} items at ${BUDGET} per call`);
  });

  it('a status filter is a key condition: its pages are full without reading the rest of the tenant', async () => {
    const from = listLines.length;
    const page = await list({ status: 2, pageSize: 100 }); // ITEM_STATUS_OUT_OF_STOCK
    assert.equal(page.ids.length, 100);
    await waitFor(() => listLines.length > from, { timeout: 5000, what: "the list call's log line" });
    const read = Number(listLines[from]?.items_read);
    assert.ok(read <= 101, `read ${read}`);
  });
});
