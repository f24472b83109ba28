// Store figures the issue tracker asked for: lists under load on a tenant of 20,000 items
// (bounded work per call), and the losing side of contention on one hot item.
import * as grpc from '@grpc/grpc-js';
import type { EmbeddedDynamo } from 'local-runtime/dynalite';
import { startApi, startStore } from 'local-runtime/services';
import { Category, StoreServiceClient } from 'store-contract';

const say = (line: string) => process.stdout.write(`${line}\n`);
const ITEMS = 20_000;

async function http(port: number, method: string, path: string, body?: unknown) {
  const started = performance.now();
  const r = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: {
      'x-tenant-id': 'scale',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await r.json()) as Record<string, unknown>;
  return { status: r.status, json, ms: performance.now() - started };
}

const quantile = (sorted: number[], q: number) =>
  Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);

/** Markdown lines for docs/benchmarks.md. */
export async function storeScale(dynamo: EmbeddedDynamo): Promise<string[]> {
  // Successful calls (and their items_read) are logged at debug.
  // The process keeps a bounded window of log lines (20,000 creates overflow it): the list
  // calls' lines are collected as they come.
  const listReads: number[] = [];
  const store = await startStore(
    dynamo,
    { TABLE_NAME: 'bench-scale', LOG_LEVEL: 'debug' },
    {
      onLog: (line) => {
        if (!line.includes('"rpc":"ListItems"')) return;
        const read = (JSON.parse(line) as { items_read?: number }).items_read;
        if (typeof read === 'number') listReads.push(read);
      },
    },
  );
  const api = await startApi(store.ports.port ?? 0);
  const client = new StoreServiceClient(`127.0.0.1:${store.ports.port}`, grpc.credentials.createInsecure());
  const lines: string[] = [];
  try {
    say(`bench: store scale: creating ${ITEMS} items in one tenant through gRPC ...`);
    const seedStarted = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (next < ITEMS) {
          const i = next++;
          await new Promise<void>((resolve, reject) =>
            client.createItem(
              {
                tenantId: 'scale',
                requestId: `seed-${i}`,
                name: `Hay ${i}`,
                description: '',
                priceCents: 1,
                category: i % 2 === 0 ? Category.CATEGORY_BOOKS : Category.CATEGORY_TOYS,
                sku: '',
                inventoryCount: 1,
                tags: [],
                userId: '',
              },
              (err) => (err ? reject(err) : resolve()),
            ),
          );
        }
      }),
    );
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    const apiPort = api.ports.port ?? 0;

    say('bench: store scale: 16 concurrent no-match searches, 5 rounds ...');
    listReads.length = 0;
    const latencies: number[] = [];
    const statuses: Record<number, number> = {};
    for (let round = 0; round < 5; round += 1) {
      const results = await Promise.all(
        Array.from({ length: 16 }, () => http(apiPort, 'GET', '/v1/items?search=nomatch&page_size=100')),
      );
      for (const r of results) {
        latencies.push(r.ms);
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    const reads = [...listReads];
    if (reads.length === 0) throw new Error('store scale: no ListItems log line seen (items_read)');
    latencies.sort((a, b) => a - b);
    lines.push(
      '| scenario | answers | p50 ms | p99 ms | max ms | items read per call |',
      '|---|---|---|---|---|---|',
      `| 16 concurrent \`?search=nomatch\` on ${ITEMS} items, 5 rounds (api → store → dynalite) | ${JSON.stringify(statuses)} | ${quantile(latencies, 0.5)} | ${quantile(latencies, 0.99)} | ${quantile(latencies, 1)} | ≤ ${Math.max(...reads)} (budget 1000) |`,
    );

    say('bench: store scale: 300 concurrent −1 on stock 100, 5 rounds ...');
    const loser: string[] = [];
    for (let round = 1; round <= 5; round += 1) {
      const created = await http(apiPort, 'POST', '/v1/items', {
        name: 'Hot',
        price_cents: 1,
        category: 'toys',
        inventory_count: 100,
      });
      const id = String(created.json.id);
      const started = performance.now();
      const results = await Promise.all(
        Array.from({ length: 300 }, () =>
          http(apiPort, 'POST', `/v1/items/${id}/inventory`, { quantity_change: -1 }),
        ),
      );
      const burst = Math.round(performance.now() - started);
      const tally: Record<number, number> = {};
      for (const r of results) tally[r.status] = (tally[r.status] ?? 0) + 1;
      const losers = results
        .filter((r) => r.status === 409)
        .map((r) => r.ms)
        .sort((a, b) => a - b);
      const winners = results
        .filter((r) => r.status === 200)
        .map((r) => r.ms)
        .sort((a, b) => a - b);
      loser.push(
        `| ${round} | ${JSON.stringify(tally)} | ${burst} | ${quantile(winners, 0.5)} | ${quantile(losers, 0.5)} | ${quantile(losers, 1)} |`,
      );
    }
    lines.push(
      '',
      `Seeding: ${ITEMS} creates through gRPC at 64 in flight took ${seedSeconds.toFixed(1)} s.`,
      '',
      '| round: 300 × −1 on stock 100 | answers | burst ms | winners p50 ms | losers (409) p50 ms | losers max ms |',
      '|---|---|---|---|---|---|',
      ...loser,
    );
  } finally {
    client.close();
    await api.stop();
    await store.stop();
  }
  return lines;
}
