// Resilience in the lab, under steady load, each case bounded by request counts: canary
// churn, the store killed and restarted, rolling restarts of both services.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Lab } from 'local-runtime/lab';
import { httpClient } from 'test-harness/http';
import { waitFor } from 'test-harness/wait';
import { manifestRoutes } from '../src/lab-routes.ts';
import { repoRoot } from './fixture-repo.ts';
import { kubectlMissing } from './kubectl.ts';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('lab resilience under load', { skip: kubectlMissing }, () => {
  let lab: Lab;
  let http: ReturnType<typeof httpClient>;
  before(async () => {
    lab = await Lab.start({ repoRoot, routes: manifestRoutes, port: 0, publicPort: 0, dataDir: undefined });
    await lab.add(7, { services: ['store-service'] });
    http = httpClient(`http://localhost:${lab.ports.internal}`, { 'x-tenant-id': 'resilience' }, (t) =>
      lab.token(t),
    );
  });
  after(async () => {
    await lab?.stop();
  });

  /** Runs readers until stop() and reports failures (status, served-by mismatch). */
  function steadyLoad(streams: Array<{ key?: string; want: string }>) {
    const failures: string[] = [];
    let sent = 0;
    let running = true;
    const workers = streams.map(async ({ key, want }) => {
      while (running) {
        const r = await http('GET', '/v1/items', { headers: key === undefined ? {} : { 'x-canary': key } });
        sent += 1;
        const tracks = [...(r.headers.get('x-served-by') ?? '').matchAll(/@([a-z0-9-]+) /g)]
          .map((m) => m[1])
          .join(',');
        if (r.status !== 200 || tracks !== want) failures.push(`${key ?? '-'}: ${r.status} ${tracks}`);
      }
    });
    return {
      get sent() {
        return sent;
      },
      async stop() {
        running = false;
        await Promise.all(workers);
        return failures;
      },
    };
  }

  /** Until the load has sent `more` requests from now: traffic flows through what happens next. */
  const moreRequests = (load: { readonly sent: number }, more: number) => {
    const from = load.sent;
    return waitFor(() => load.sent >= from + more, { timeout: 30_000, what: `${more} more requests` });
  };

  it('a canary added and removed under steady traffic: zero errors for traffic not addressed to it', async () => {
    const load = steadyLoad([
      { want: 'stable,stable' },
      { key: '7', want: 'stable,pr-7' },
      { want: 'stable,stable' },
    ]);
    for (let cycle = 0; cycle < 4; cycle += 1) {
      const cycleTraffic = moreRequests(load, 10);
      await lab.add(55, { services: ['api-service', 'store-service'] });
      const canary = await http('GET', '/v1/items', { headers: { 'x-canary': '55' } });
      assert.match(
        canary.headers.get('x-served-by') ?? '',
        /api-service@pr-55 .*store-service@pr-55 /,
        `cycle ${cycle}`,
      );
      await lab.remove(55);
      await cycleTraffic;
    }
    const failures = await load.stop();
    assert.deepEqual(failures, [], `${failures.length} of ${load.sent} failed`);
    assert.ok(load.sent >= 30, `sent ${load.sent}`);
  });

  it('stable store killed and restarted under writes: 503 while down, recovery by itself, no acknowledged write lost', async () => {
    const acknowledged: string[] = [];
    const statuses = new Map<number, number>();
    let running = true;
    let n = 0;
    const writers = Array.from({ length: 3 }, async () => {
      while (running) {
        const i = n++;
        const r = await http('POST', '/v1/items', {
          body: { name: `w${i}`, price_cents: 1, category: 'food' },
        });
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.status === 201) acknowledged.push((r.body as { id: string }).id);
        // Pacing, not a wait: a writer whose write failed does not spin while the store is down.
        if (r.status !== 201) await pause(20);
      }
    });
    const acknowledgedAtLeast = (count: number) =>
      waitFor(() => acknowledged.length >= count, { timeout: 30_000, what: `${count} acknowledged writes` });
    await acknowledgedAtLeast(10);
    lab.backend('store-service')?.child.kill('SIGKILL');
    await waitFor(() => (statuses.get(503) ?? 0) >= 3, {
      timeout: 10_000,
      what: `3 answers 503 while the store is down (${JSON.stringify([...statuses])})`,
    });
    await lab.restart('store-service');
    const ackAtRestart = acknowledged.length;
    await acknowledgedAtLeast(ackAtRestart + 10);
    running = false;
    await Promise.all(writers);
    assert.ok(
      (statuses.get(503) ?? 0) >= 3,
      `503s while the store was down: ${JSON.stringify([...statuses])}`,
    );
    assert.deepEqual(
      [...statuses.keys()].filter((s) => s !== 201 && s !== 503),
      [],
      'only 201 or 503',
    );
    for (const id of acknowledged) {
      assert.equal((await http('GET', `/v1/items/${id}`)).status, 200, `acknowledged item ${id} is stored`);
    }
  });

  it('a service killed with SIGKILL is restarted by the lab (backoff, routes kept); traffic that does not use it never fails', async () => {
    const serving = (key: string | undefined, want: string, withinMs: number) =>
      waitFor(
        async () => {
          const r = await http('GET', '/v1/items', { headers: key === undefined ? {} : { 'x-canary': key } });
          return r.status === 200 && (r.headers.get('x-served-by') ?? '').includes(want) && Date.now();
        },
        { timeout: withinMs, interval: 50, what: `${key ?? 'no key'} served by ${want} again` },
      );
    for (const [pr, want, unaffected] of [
      [7, 'store-service@pr-7', { want: 'stable,stable' }],
      [undefined, 'store-service@stable', { key: '7', want: 'stable,pr-7' }],
    ] as const) {
      const load = steadyLoad([unaffected]);
      await moreRequests(load, 5);
      const victim = lab.backend('store-service', pr);
      assert.ok(victim);
      const killed = Date.now();
      victim.child.kill('SIGKILL');
      const back = await serving(pr === undefined ? undefined : String(pr), want, 8000);
      const failures = await load.stop();
      assert.deepEqual(failures, [], `${failures.length} of ${load.sent} unaffected requests failed`);
      assert.notEqual(lab.backend('store-service', pr)?.pid, victim.pid, 'a new process');
      const entry = lab.status().services.find((s) => s.key === lab.keyOf('store-service', pr));
      assert.equal(entry?.lastExit, 'SIGKILL');
      assert.ok((entry?.restarts ?? 0) >= 1);
      assert.ok(back - killed < 8000, `serving again after ${back - killed} ms`);
    }
  });

  it('rolling restart of each stable service under load: zero failed requests', async () => {
    const load = steadyLoad([
      { want: 'stable,stable' },
      { key: '7', want: 'stable,pr-7' },
      { want: 'stable,stable' },
    ]);
    await moreRequests(load, 10);
    await lab.restart('api-service');
    await lab.restart('store-service');
    await lab.restart('store-service', 7);
    await moreRequests(load, 10);
    const failures = await load.stop();
    assert.deepEqual(failures, [], `${failures.length} of ${load.sent} failed`);
    assert.ok(load.sent >= 20, `sent ${load.sent}`);
  });
});
