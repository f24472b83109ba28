import { startStack } from 'local-runtime/stack';
import { httpClient } from 'test-harness/http';

const stack = await startStack({ edgePort: 0, dataDir: undefined });
const http = httpClient(stack.edgeUrl, { 'x-tenant-id': 'race' });
for (let run = 0; run < 5; run++) {
  const c = await http('POST', '/v1/items', {
    body: { name: 'Hot', price_cents: 1, category: 'toys', inventory_count: 100 },
  });
  const id = (c.body as { id: string }).id;
  const t0 = performance.now();
  const lat: number[] = [];
  const res = await Promise.all(
    Array.from({ length: 300 }, async () => {
      const s = performance.now();
      const r = await http('POST', `/v1/items/${id}/inventory`, { body: { quantity_change: -1 } });
      lat.push(performance.now() - s);
      return r.status;
    }),
  );
  const tally: Record<number, number> = {};
  for (const s of res) tally[s] = (tally[s] ?? 0) + 1;
  lat.sort((a, b) => a - b);
  console.log(
    run,
    JSON.stringify(tally),
    'burst ms',
    Math.round(performance.now() - t0),
    'p50',
    Math.round(lat[150] ?? 0),
    'max',
    Math.round(lat[299] ?? 0),
  );
}
await stack.stop();
