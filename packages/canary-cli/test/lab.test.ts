// The lab end to end: real services, the edge and mesh routers, routes from the rendered manifests.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Lab } from 'local-runtime/lab';
import { getWithHost, httpClient, rawHttp } from 'test-harness/http';
import { waitFor } from 'test-harness/wait';
import { manifestRoutes } from '../src/lab-routes.ts';
import { fixtureRepo, git, repoRoot } from './fixture-repo.ts';
import { kubectlMissing } from './kubectl.ts';

const startLab = (root = repoRoot, extra: { stableRef?: string; restartBackoffMs?: number } = {}) =>
  Lab.start({ repoRoot: root, routes: manifestRoutes, port: 0, publicPort: 0, dataDir: undefined, ...extra });

/** X-Served-By tracks for one request: [api track, store track]. */
async function tracks(lab: Lab, key?: string, entry: 'internal' | 'websecure' = 'internal') {
  const http = httpClient(`http://localhost:${lab.ports[entry]}`, { 'x-tenant-id': 'lab' }, (t) =>
    lab.token(t),
  );
  const r = await http('GET', '/v1/items', { headers: key === undefined ? {} : { 'x-canary': key } });
  const served = r.headers.get('x-served-by') ?? '';
  return {
    status: r.status,
    tracks: [...served.matchAll(/@([a-z0-9-]+) /g)].map((m) => m[1]),
    error: r.headers.get('x-canary-error'),
    body: r.body,
  };
}

describe('the lab', { skip: kubectlMissing }, () => {
  describe('routing by header from the rendered manifests', () => {
    let lab: Lab;
    before(async () => {
      // A killed process stays down while these tests look at it (no restart within a minute).
      lab = await startLab(repoRoot, { restartBackoffMs: 60_000 });
      await lab.add(123, { services: ['api-service', 'store-service'] });
      await lab.add(7, { services: ['store-service'] });
    });
    after(async () => {
      await lab?.stop();
    });

    it('no header → stable, stable; 123 → pr-123, pr-123; 7 → stable api, pr-7 store; 999 → stable; pr-1 → stable with X-Canary-Error', async () => {
      assert.deepEqual((await tracks(lab)).tracks, ['stable', 'stable']);
      assert.deepEqual((await tracks(lab, '123')).tracks, ['pr-123', 'pr-123']);
      assert.deepEqual((await tracks(lab, '7')).tracks, ['stable', 'pr-7']);
      assert.deepEqual((await tracks(lab, '999')).tracks, ['stable', 'stable']);
      const bad = await tracks(lab, 'pr-1');
      assert.deepEqual(bad.tracks, ['stable', 'stable']);
      assert.equal(bad.error, 'not-a-pr-number');
    });

    it('the public entrypoint strips X-Canary (the public always gets stable) and the internal answer headers', async () => {
      const canaryApi = lab.backend('api-service', 123);
      const stableApi = lab.backend('api-service');
      assert.ok(canaryApi && stableApi);
      const before = { canary: canaryApi.logs.length, stable: stableApi.logs.length };
      const http = httpClient(`http://localhost:${lab.ports.websecure}`, { 'x-tenant-id': 'lab' }, (t) =>
        lab.token(t),
      );
      for (const key of ['123', '7']) {
        const r = await http('GET', '/v1/items', { headers: { 'x-canary': key } });
        assert.equal(r.status, 200);
        for (const header of ['x-served-by', 'x-canary-echo', 'x-canary-error', 'x-lab-route'])
          assert.equal(r.headers.get(header), null, `${header} on the public entrypoint`);
      }
      await stableApi.waitForLog((l) => l.msg === 'request', { from: before.stable });
      const canaryRequests = canaryApi.logs.slice(before.canary).filter((l) => l.includes('"msg":"request"'));
      assert.deepEqual(canaryRequests, [], 'PR 123 served nothing from the public entrypoint');
      assert.deepEqual(
        (await tracks(lab, '123')).tracks,
        ['pr-123', 'pr-123'],
        'the guarded entrypoint keeps them',
      );
    });

    it('reports the loaded routes, with the rendered names and priorities', () => {
      const { routes, services } = lab.status();
      assert.ok(
        routes.edge.some((r) =>
          r.startsWith('IngressRoute apps/api-service-canary-pr-123 routes[0] [internal] priority 1000'),
        ),
      );
      assert.ok(routes.mesh.some((r) => r.startsWith('GRPCRoute apps/store-service-canary-pr-7 rules[0]')));
      assert.deepEqual(services.map((s) => `${s.service}@${s.track}`).sort(), [
        'api-service@pr-123',
        'api-service@stable',
        'store-service@pr-123',
        'store-service@pr-7',
        'store-service@stable',
      ]);
    });

    it('a preview hostname pr-123.localhost reaches PR 123 at every hop; a store-only PR has one too, through the stable api', async () => {
      const token = await lab.token('lab');
      const viaHost = async (host: string) => {
        const r = await getWithHost(lab.ports.internal, `${host}:${lab.ports.internal}`, '/v1/items', {
          authorization: `Bearer ${token}`,
        });
        return { status: r.status, servedBy: r.headers['x-served-by'] ?? '' };
      };
      const preview = await viaHost('pr-123.localhost');
      assert.equal(preview.status, 200);
      assert.match(preview.servedBy, /^api-service@pr-123 \(.*\), store-service@pr-123 /);
      // PR 7 deploys only store-service: its preview enters through the stable api with
      // X-Canary: 7 set (components/canary-route-mesh/preview.yaml), so the mesh sends the
      // api's call to PR 7's store.
      const storeOnly = await viaHost('pr-7.localhost');
      assert.equal(storeOnly.status, 200);
      assert.match(storeOnly.servedBy, /^api-service@stable \(.*\), store-service@pr-7 /);
      assert.equal((await viaHost('pr-999.localhost')).status, 404);
      const publicPort = (await getWithHost(lab.ports.websecure, 'pr-123.localhost', '/v1/items')).status;
      assert.equal(publicPort, 404, 'no preview hostname on the public entrypoint');
    });

    it('explains which route matched at each hop', () => {
      const why = lab.explain({
        entryPoint: 'internal',
        host: 'localhost',
        path: '/v1/items',
        headers: { 'X-Canary': '7' },
      });
      assert.equal(why.edge?.route, 'IngressRoute apps/api-service-internal routes[0]');
      assert.equal(why.propagatedKey, '7');
      assert.deepEqual(why.mesh, [
        {
          caller: 'api-service.apps',
          parent: 'store-service.apps',
          rule: 'GRPCRoute apps/store-service-canary-pr-7 rules[0]',
          backend: 'store-service.store-canary-pr-7',
          pr: '7',
          byKey: true,
        },
      ]);
    });
  });

  describe('removing and losing canaries', () => {
    let lab: Lab;
    before(async () => {
      lab = await startLab();
      await lab.add(123, { services: ['api-service', 'store-service'] });
      await lab.add(7, { services: ['store-service'] });
      await lab.add(55, { services: ['api-service', 'store-service'] });
    });
    after(async () => {
      await lab?.stop();
    });

    it('a canary removed under mixed traffic: zero failures for other traffic, then its key goes to stable', async () => {
      // Bounded by request counts, not time: at least 15 requests before the removal and
      // 30 after it, whatever the machine's speed.
      const failures: string[] = [];
      let removed = false;
      let before = 0;
      let afterRemoval = 0;
      const done = () => removed && afterRemoval >= 30;
      const worker = async (key: string | undefined, want: string[]) => {
        while (!done()) {
          const r = await tracks(lab, key);
          if (removed) afterRemoval += 1;
          else before += 1;
          if (r.status !== 200 || JSON.stringify(r.tracks) !== JSON.stringify(want))
            failures.push(`${key}: ${r.status} ${r.tracks}`);
        }
      };
      const workers = [
        worker(undefined, ['stable', 'stable']),
        worker('7', ['stable', 'pr-7']),
        worker(undefined, ['stable', 'stable']),
      ];
      const to123 = (async () => {
        const seen = new Set<number>();
        while (!done()) seen.add((await tracks(lab, '123')).status);
        return seen;
      })();
      await waitFor(() => before >= 15, { timeout: 30_000, what: '15 requests before the removal' });
      await lab.remove(123);
      removed = true;
      await Promise.all(workers);
      const statuses123 = await to123;
      assert.deepEqual(failures, [], `${failures.length} of ${before + afterRemoval} failed`);
      assert.deepEqual([...statuses123], [200], 'requests for the canary being removed did not fail either');
      assert.deepEqual((await tracks(lab, '123')).tracks, ['stable', 'stable'], 'its routes are gone');
    });

    it('a canary whose process died while its routes remain answers a clear error naming the PR, never stable', async () => {
      lab.backend('store-service', 7)?.child.kill('SIGKILL');
      lab.backend('api-service', 55)?.child.kill('SIGKILL');
      const down = (service: string, pr: number) =>
        lab.status().services.find((s) => s.key === lab.keyOf(service, pr))?.up === false;
      await waitFor(() => down('store-service', 7) && down('api-service', 55), {
        timeout: 10_000,
        what: 'the lab to see both processes exit',
      });
      const store = await tracks(lab, '7');
      assert.equal(store.status, 503);
      const meshMessage = (store.body as { error: { message: string } }).error.message;
      assert.match(
        meshMessage,
        /lab mesh: PR 7's store-service \(store-service\.store-canary-pr-7\) is not serving/,
      );
      assert.match(
        meshMessage,
        /; its route is still in place and the mesh\/edge does not fall back/,
        'unencoded',
      );
      assert.doesNotMatch(meshMessage, /%[0-9A-F]{2}/, 'no percent-encoding reaches the user');
      const api = await tracks(lab, '55');
      assert.equal(api.status, 503);
      assert.match(
        JSON.stringify(api.body),
        /lab edge: PR 55's api-service \(api-service\.api-canary-pr-55\) is not serving/,
      );
      assert.deepEqual((await tracks(lab)).tracks, ['stable', 'stable'], 'stable unaffected');
    });
  });

  describe('the edge passes on early answers', () => {
    let lab: Lab;
    before(async () => {
      lab = await startLab();
    });
    after(async () => {
      await lab?.stop();
    });

    it('a 2 MiB body gets the api’s 413 through the edge, 20 times of 20 (not 502)', async () => {
      const big = JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024), price_cents: 1, category: 'books' });
      const token = await lab.token('lab');
      const statuses: number[] = [];
      for (let i = 0; i < 20; i += 1) {
        const r = await rawHttp(
          lab.ports.internal,
          `POST /v1/items HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(big)}\r\nConnection: close\r\n\r\n${big}`,
        );
        statuses.push(r.status);
      }
      assert.deepEqual(statuses, Array(20).fill(413));
    });
  });

  describe('isolated data', () => {
    let lab: Lab;
    before(async () => {
      lab = await startLab();
      await lab.add(42, { services: ['store-service'], isolatedData: true });
    });
    after(async () => {
      await lab?.stop();
    });

    it("PR 42's writes are invisible to stable and gone after rm", async () => {
      const http = httpClient(`http://localhost:${lab.ports.internal}`, { 'x-tenant-id': 'iso' }, (t) =>
        lab.token(t),
      );
      const created = await http('POST', '/v1/items', {
        headers: { 'x-canary': '42' },
        body: { name: 'PR only', price_cents: 1, category: 'toys' },
      });
      assert.equal(created.status, 201);
      const inPr = await http('GET', '/v1/items', { headers: { 'x-canary': '42' } });
      assert.equal((inPr.body as { items: unknown[] }).items.length, 1);
      const inStable = await http('GET', '/v1/items');
      assert.equal((inStable.body as { items: unknown[] }).items.length, 0);
      await lab.remove(42);
      const db = new DynamoDBClient({
        endpoint: `http://127.0.0.1:${lab.ports.dynamodb}`,
        region: 'us-east-1',
        credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
      });
      await assert.rejects(
        db.send(new DescribeTableCommand({ TableName: 'store-items-pr-42' })),
        /ResourceNotFoundException|not found/i,
      );
      db.destroy();
    });
  });

  describe('code from git refs and routes from changed manifests', () => {
    let repo: Awaited<ReturnType<typeof fixtureRepo>>;
    let variant: string;
    before(async () => {
      repo = await fixtureRepo();
      // A commit whose api answers /healthz with an extra field, then back to the base.
      const app = join(repo.root, 'api-service/src/plugins/readiness.ts');
      const text = await readFile(app, 'utf8');
      const changed = text.replace(
        "async () => ({ status: 'ok' })",
        "async () => ({ status: 'ok', variant: 'fixture-ref' })",
      );
      assert.notEqual(changed, text);
      await writeFile(app, changed);
      await git(repo.root, 'commit', '-q', '-am', 'fixture: healthz variant');
      variant = await git(repo.root, 'rev-parse', 'HEAD');
      await git(repo.root, 'checkout', '-q', repo.base);
    });
    after(async () => {
      await repo?.remove();
    });

    const healthz = async (lab: Lab, key?: string) => {
      const r = await httpClient(`http://localhost:${lab.ports.internal}`)('GET', '/healthz', {
        headers: key === undefined ? {} : { 'x-canary': key },
      });
      return r.body as Record<string, string>;
    };

    it("--ref: the canary runs that ref's code, stable the working tree", async () => {
      const lab = await startLab(repo.root);
      try {
        await assert.rejects(
          lab.add(11, { services: ['api-service'], ref: 'no-such-branch' }),
          /"no-such-branch" names no commit in this checkout: give a branch, tag or commit sha/,
        );
        await lab.add(9, { services: ['api-service'], ref: variant });
        assert.deepEqual(await healthz(lab, '9'), { status: 'ok', variant: 'fixture-ref' });
        assert.deepEqual(await healthz(lab), { status: 'ok' });
        assert.equal((await tracks(lab, '9')).tracks[0], 'pr-9');
        assert.ok(existsSync(join(repo.root, '.lab/worktrees', variant)));
      } finally {
        await lab.stop();
      }
      assert.ok(
        !existsSync(join(repo.root, '.lab/worktrees', variant)),
        'the stopped lab removed its worktree',
      );
    });

    it('--stable-ref: stable runs that ref, a canary the working tree', async () => {
      const lab = await startLab(repo.root, { stableRef: variant });
      try {
        await lab.add(10, { services: ['api-service'] });
        assert.deepEqual(await healthz(lab), { status: 'ok', variant: 'fixture-ref' });
        assert.deepEqual(await healthz(lab, '10'), { status: 'ok' });
      } finally {
        await lab.stop();
      }
      assert.ok(
        !existsSync(join(repo.root, '.lab/worktrees', variant)),
        'the stopped lab removed its worktree',
      );
    });

    it('routing follows the manifests: a canary priority below stable loses, a renamed header routes only that header', async () => {
      const file = join(repo.root, 'manifests-microservices/components/canary-route-edge/ingressroute.yaml');
      const original = await readFile(file, 'utf8');
      const set = join(repo.root, 'manifests-microservices/applications/canary/pr-canaries.yaml');
      const originalSet = await readFile(set, 'utf8');
      try {
        await writeFile(file, original.replace('priority: 1000', 'priority: 5'));
        const low = await startLab(repo.root);
        try {
          await low.add(11, { services: ['api-service'] });
          assert.deepEqual((await tracks(low, '11')).tracks, ['stable', 'stable'], 'priority 5 < stable 10');
        } finally {
          await low.stop();
        }
        // The matcher's header becomes X-Preview: only X-Preview: 11 reaches the canary now.
        await writeFile(file, original);
        await writeFile(
          set,
          originalSet.replace('`X-Canary`, `{{ .number }}`', '`X-Preview`, `{{ .number }}`'),
        );
        const renamed = await startLab(repo.root);
        try {
          await renamed.add(11, { services: ['api-service'] });
          const why = renamed.explain({
            entryPoint: 'internal',
            host: 'localhost',
            path: '/v1/items',
            headers: { 'x-preview': '11' },
          });
          assert.equal(why.edge?.route, 'IngressRoute apps/api-service-canary-pr-11 routes[0]');
          assert.deepEqual((await tracks(renamed, '11')).tracks, ['stable', 'stable']);
          const preview = await httpClient(
            `http://localhost:${renamed.ports.internal}`,
            { 'x-tenant-id': 'lab' },
            (t) => renamed.token(t),
          )('GET', '/v1/items', { headers: { 'x-preview': '11' } });
          assert.match(preview.headers.get('x-served-by') ?? '', /^api-service@pr-11 /);
        } finally {
          await renamed.stop();
        }
      } finally {
        await writeFile(file, original);
        await writeFile(set, originalSet);
      }
    });

    it('an unsupported matcher fails startup naming the object and field', async () => {
      const file = join(repo.root, 'manifests-microservices/applications/base/services.yaml');
      const original = await readFile(file, 'utf8');
      try {
        await writeFile(
          file,
          original.replace(
            'hostMatch: "Host(`{{ .values.host }}`)"',
            'hostMatch: "Host(`{{ .values.host }}`) || PathPrefix(`/x`)"',
          ),
        );
        const started = startLab(repo.root);
        // A lab that starts after all would leak its processes: stop it before failing.
        void started.then(
          (lab) => lab.stop(),
          () => undefined,
        );
        await assert.rejects(
          started,
          /IngressRoute apps\/api-service-(public|internal) spec\.routes\[0\]\.match: .*only && of matchers/,
        );
      } finally {
        await writeFile(file, original);
      }
    });
  });

  it('the CLI: lab up, add, status and rm through the control endpoint', async () => {
    const repo = await fixtureRepo();
    const cli = join(repoRoot, 'packages/canary-cli/bin/canary.js');
    const up = spawn(
      process.execPath,
      [cli, 'lab', 'up', '--repo', repo.root, '--port', '0', '--public-port', '0', '--in-memory'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    up.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    try {
      await waitFor(() => out.includes('Ctrl-C stops everything'), {
        timeout: 20_000,
        interval: 100,
        what: () => `lab up to be ready; its output:\n${out}`,
      });
      assert.match(out, /routes loaded: 2 edge, 0 mesh/);
      const run = (...args: string[]) =>
        promisify(execFile)(process.execPath, [cli, ...args, '--repo', repo.root]);
      const added = await run('lab', 'add', '5', '--services', 'store-service');
      assert.match(added.stdout, /lab: starting store-service for PR 5 in store-canary-pr-5/);
      assert.match(added.stdout, /PR 5 is up \(store-service at [0-9a-f]{8}\)/);
      const status = JSON.parse((await run('lab', 'status', '--json')).stdout) as {
        canaries: Array<{ pr: number }>;
      };
      assert.deepEqual(
        status.canaries.map((c) => c.pr),
        [5],
      );
      await assert.rejects(run('lab', 'add', '5'), /PR 5 is already running/);
      assert.match((await run('lab', 'rm', '5')).stdout, /PR 5 removed/);
    } finally {
      up.kill('SIGINT');
      await new Promise((resolve) => up.once('exit', resolve));
      assert.match(out, /lab: stopped/);
      await repo.remove();
    }
  });
});
