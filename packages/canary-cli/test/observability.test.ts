// Observability against real components: promtool on the rendered rules, a real Prometheus
// scraping the lab while traffic flows to stable and a canary, and a trace that crosses the
// gRPC hop into a local OTLP receiver.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Lab } from 'local-runtime/lab';
import { type Stack, startStack } from 'local-runtime/stack';
import { httpClient } from 'test-harness/http';
import { requireTool } from 'test-harness/tools';
import { waitFor } from 'test-harness/wait';
import { stringify } from 'yaml';
import { canaryOverview } from '../../../manifests-microservices/observability/dashboards/canary-overview.ts';
import { buildKustomization } from '../src/gitops/kustomize.ts';
import { manifestRoutes } from '../src/lab-routes.ts';
import { fetchSamples } from '../src/report/prometheus.ts';
import { DEFAULT_THRESHOLDS, judge, type ServiceSamples } from '../src/report/verdict.ts';
import { repoRoot } from './fixture-repo.ts';
import { kubectlMissing } from './kubectl.ts';

const run = promisify(execFile);
const observability = join(repoRoot, 'manifests-microservices/observability');
const promMissing = kubectlMissing || (await requireTool('promtool', ['--version'], 'prometheus'));

describe('alerting rules', { skip: promMissing }, () => {
  it('pass promtool check rules and promtool test rules (fires for the failing canary only)', async () => {
    const objects = await buildKustomization(repoRoot, 'manifests-microservices/observability');
    const rule = objects.find((o) => o.object.kind === 'PrometheusRule')?.object as unknown as {
      spec: { groups: unknown[] };
    };
    const dir = await mkdtemp(join(tmpdir(), 'promtool-'));
    try {
      await writeFile(join(dir, 'rules.yaml'), stringify({ groups: rule.spec.groups }));
      await copyFile(
        join(observability, 'tests/canary-rules.test.yaml'),
        join(dir, 'canary-rules.test.yaml'),
      );
      const check = await run('promtool', ['check', 'rules', 'rules.yaml'], { cwd: dir });
      assert.match(check.stdout, /SUCCESS: 10 rules found/);
      const test = await run('promtool', ['test', 'rules', 'canary-rules.test.yaml'], { cwd: dir });
      assert.match(test.stdout, /SUCCESS/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the dashboard', () => {
  it('JSON is exactly what its typed source (checked against @grafana/schema by tsc) generates', async () => {
    const json = await readFile(join(observability, 'dashboards/canary-overview.json'), 'utf8');
    assert.equal(
      json,
      `${JSON.stringify(canaryOverview, null, 2)}\n`,
      'regenerate: node manifests-microservices/observability/dashboards/canary-overview.ts > …/canary-overview.json',
    );
    assert.deepEqual(
      canaryOverview.templating?.list?.map((v) => v.name),
      ['datasource', 'service', 'pr'],
    );
  });
});

describe('a real Prometheus scraping the lab', { skip: promMissing }, () => {
  let lab: Lab;
  before(async () => {
    lab = await Lab.start({
      repoRoot,
      routes: manifestRoutes,
      port: 0,
      publicPort: 0,
      dataDir: undefined,
      observability: true,
    });
    await lab.add(123, { services: ['api-service', 'store-service'] });
  });
  after(async () => {
    await lab?.stop();
  });

  it('every dashboard panel returns data for stable and the canary, for both services', async () => {
    const http = httpClient(`http://localhost:${lab.ports.internal}`, { 'x-tenant-id': 'obs' }, (t) =>
      lab.token(t),
    );
    let traffic = true;
    const load = (async () => {
      for (let i = 0; traffic; i += 1) {
        await http('GET', '/v1/items', { headers: i % 2 === 0 ? { 'x-canary': '123' } : {} });
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const queries = (canaryOverview.panels ?? []).flatMap((p) =>
      ((p as { targets?: Array<{ expr: string }> }).targets ?? []).map((t) => ({
        title: p.title ?? '',
        expr: t.expr.replaceAll('$service', 'api-service|store-service').replaceAll('$pr', 'pr-123'),
      })),
    );
    assert.equal(queries.length, 5);
    const want = ['api-service/pr-123', 'api-service/stable', 'store-service/pr-123', 'store-service/stable'];
    const seen = new Map<string, string[]>();
    try {
      await waitFor(
        async () => {
          for (const q of queries) {
            const r = await fetch(`${lab.prometheusUrl}/api/v1/query?query=${encodeURIComponent(q.expr)}`);
            const body = (await r.json()) as {
              data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
            };
            const series = body.data.result
              .filter((s) => s.value[1] !== 'NaN')
              .map((s) => `${s.metric.service}/${s.metric.track}`)
              .sort();
            seen.set(q.title, series);
          }
          return [...seen.values()].every((series) => want.every((w) => series.includes(w)));
        },
        {
          timeout: 60_000,
          interval: 500,
          what: () => `every panel to show ${want.join(', ')}; seen: ${JSON.stringify([...seen])}`,
        },
      );
    } finally {
      traffic = false;
      await load;
    }
    for (const q of queries)
      assert.deepEqual(
        seen.get(q.title)?.filter((s) => want.includes(s)),
        want,
        `${q.title}: ${q.expr}`,
      );
    // The labels match the ServiceMonitor layout.
    const up = (await (
      await fetch(
        `${lab.prometheusUrl}/api/v1/query?query=${encodeURIComponent('up{namespace="store-canary-pr-123"}')}`,
      )
    ).json()) as { data: { result: Array<{ metric: Record<string, string> }> } };
    assert.equal(up.data.result[0]?.metric.job, 'store-service');
    assert.equal(up.data.result[0]?.metric.endpoint, 'metrics');
  });

  it('canary report: pass for a healthy canary, fail naming latency for one slowed by its fault setting', async () => {
    await lab.add(124, { services: ['api-service'], env: { FAULT_DELAY_MS: '150' } });
    const http = httpClient(`http://localhost:${lab.ports.internal}`, { 'x-tenant-id': 'report' }, (t) =>
      lab.token(t),
    );
    let traffic = true;
    const drive = async (headers: Record<string, string>) => {
      while (traffic) {
        await http('GET', '/v1/items', { headers });
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const loads = [drive({}), drive({ 'x-canary': '123' }), drive({ 'x-canary': '124' })];
    // Until a 30 s window of 2 s steps holds enough intervals with traffic on both sides to
    // judge each service of both PRs (more than the report's own minimum, 12 of 16).
    const url = lab.prometheusUrl ?? '';
    const judgeable = (samples: ServiceSamples[], services: number) =>
      samples.length === services &&
      samples.every(
        (s) => judge(s, 2, { ...DEFAULT_THRESHOLDS, minSamples: 12 }).verdict !== 'not enough traffic',
      );
    let last: ServiceSamples[][] = [];
    const [healthy, slowed] = await waitFor(
      async () => {
        last = await Promise.all([fetchSamples(url, 123, 30, 2), fetchSamples(url, 124, 30, 2)]);
        const [h = [], s = []] = last;
        return judgeable(h, 2) && judgeable(s, 1) && ([h, s] as const);
      },
      {
        timeout: 150_000,
        interval: 2000,
        what: () =>
          `samples to judge PRs 123 and 124: ${JSON.stringify(last.map((p) => p.map((s) => judge(s, 2).reason)))}`,
      },
    );
    traffic = false;
    await Promise.all(loads);
    const verdicts = (samples: typeof healthy) =>
      samples.map((s) => judge(s, 2)).map((v) => `${v.service}: ${v.verdict}: ${v.reason}`);
    assert.deepEqual(
      verdicts(healthy).map((v) => v.split(':').slice(0, 2).join(':')),
      ['api-service: pass', 'store-service: pass'],
      verdicts(healthy).join('\n'),
    );
    const [slow] = verdicts(slowed);
    assert.equal(verdicts(slowed).length, 1, 'PR 124 runs the api only');
    assert.match(slow ?? '', /^api-service: fail: .*p50 latency 1\d\d\.\d ms vs stable \d+\.\d ms/);
  });
});

// The sources as the lab runs them, and the bundles the images ship (their telemetry
// preload is a bundle of its own and must still see the app's canary context).
for (const build of ['sources', 'bundle'] as const)
  describe(`tracing and logs across both hops (${build})`, () => {
    const spans: Array<{
      service: string;
      track: string;
      traceId: string;
      spanId: string;
      parentSpanId: string | undefined;
      name: string;
      canary: string | undefined;
    }> = [];
    let receiver: ReturnType<typeof createServer>;
    let stack: Stack;
    before(async () => {
      // A local OTLP/HTTP receiver (JSON encoding).
      receiver = createServer((req, res) => {
        let body = '';
        req.on('data', (c) => {
          body += c;
        });
        req.on('end', () => {
          const value = (v: Record<string, unknown>) => Object.values(v)[0] as string;
          const payload = JSON.parse(body) as {
            resourceSpans: Array<{
              resource: { attributes: Array<{ key: string; value: Record<string, unknown> }> };
              scopeSpans: Array<{
                spans: Array<{
                  traceId: string;
                  spanId: string;
                  parentSpanId?: string;
                  name: string;
                  attributes?: Array<{ key: string; value: Record<string, unknown> }>;
                }>;
              }>;
            }>;
          };
          for (const rs of payload.resourceSpans) {
            const resource = Object.fromEntries(rs.resource.attributes.map((a) => [a.key, value(a.value)]));
            for (const scope of rs.scopeSpans) {
              for (const span of scope.spans) {
                const attrs = Object.fromEntries((span.attributes ?? []).map((a) => [a.key, value(a.value)]));
                spans.push({
                  service: resource['service.name'] ?? '',
                  track: resource['deployment.track'] ?? '',
                  traceId: span.traceId,
                  spanId: span.spanId,
                  parentSpanId: span.parentSpanId,
                  name: span.name,
                  canary: attrs['canary.pr'],
                });
              }
            }
          }
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
      if (build === 'bundle') await run(process.execPath, ['scripts/build-services.ts'], { cwd: repoRoot });
      stack = await startStack({
        build,
        edgePort: 0,
        dataDir: undefined,
        env: {
          DEPLOYMENT_TRACK: 'pr-123',
          APP_VERSION: 'pr-123-1a2b3c4d',
          OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          OTEL_BSP_SCHEDULE_DELAY: '100',
          // The store logs successful calls at debug; the correlation check reads them.
          LOG_LEVEL: 'debug',
        },
      });
    });
    after(async () => {
      await stack?.stop();
      receiver?.close();
    });

    /** GET /v1/items through the edge; the api's request line and the store's call line. */
    async function listItemsAndLogLines(headers: Record<string, string>) {
      const from = {
        api: stack.service('api-service').logs.length,
        store: stack.service('store-service').logs.length,
      };
      const r = await httpClient(stack.edgeUrl, {}, stack.token)('GET', '/v1/items', {
        headers: { 'x-tenant-id': 'trace', ...headers },
      });
      assert.equal(r.status, 200);
      const storeLine = await stack
        .service('store-service')
        .waitForLog((l) => l.rpc === 'ListItems', { from: from.store });
      const apiLine = await stack
        .service('api-service')
        .waitForLog((l) => l.msg === 'request' && l.route === '/v1/items', { from: from.api });
      return { apiLine, storeLine };
    }

    it('one request with X-Canary: 123 is one trace through both services, marked canary.pr and deployment.track', async () => {
      const { apiLine, storeLine } = await listItemsAndLogLines({ 'x-canary': '123' });
      assert.match(String(apiLine.trace_id), /^[0-9a-f]{32}$/);
      assert.equal(
        storeLine.trace_id,
        apiLine.trace_id,
        'log lines of both services carry the same trace id',
      );
      const traceId = String(apiLine.trace_id);
      // The three spans arrive in separate batches (the server span ends last): wait for all.
      const find = (service: string, name: string) =>
        spans.find((s) => s.traceId === traceId && s.service === service && s.name === name);
      const wanted = () => ({
        server: find('api-service', 'GET /v1/items'),
        client: find('api-service', 'grpc.store.v1.StoreService/ListItems'),
        store: find('store-service', 'grpc.store.v1.StoreService/ListItems'),
      });
      await waitFor(() => Object.values(wanted()).every((s) => s !== undefined), {
        timeout: 10_000,
        interval: 100,
        what: () =>
          `the three spans of trace ${traceId}: ${JSON.stringify(spans.filter((s) => s.traceId === traceId).map((s) => `${s.service} ${s.name}`))}`,
      });
      const mine = spans.filter((s) => s.traceId === traceId);
      const { server, client, store } = wanted();
      for (const [label, span] of [
        ['api HTTP server', server],
        ['api gRPC client', client],
        ['store gRPC server', store],
      ] as const) {
        assert.ok(
          span,
          `${label} span in trace ${traceId}: ${JSON.stringify(mine.map((s) => `${s.service} ${s.name}`))}`,
        );
        assert.equal(span.canary, '123', label);
        assert.equal(span.track, 'pr-123', label);
      }
      // One chain: the api's server span → its client call → the store's server span.
      assert.equal(client?.parentSpanId, server?.spanId, 'the client span is a child of the request span');
      assert.equal(store?.parentSpanId, client?.spanId, "the store's span is a child of the api's call");
    });

    it('a request whose trace is not sampled: no span exported, its trace id in both services’ log lines', async () => {
      const traceId = 'abcdef0123456789abcdef0123456789';
      const { apiLine, storeLine } = await listItemsAndLogLines({
        traceparent: `00-${traceId}-0123456789abcdef-00`,
      });
      assert.equal(apiLine.trace_id, traceId);
      assert.equal(storeLine.trace_id, traceId, 'the store continues the caller’s trace');
      // A sampled request afterwards is exported (the exporter works), and by then nothing of
      // the unsampled trace has arrived.
      const exported = spans.length;
      const sampled = await httpClient(stack.edgeUrl, {}, stack.token)('GET', '/v1/items', {
        headers: { 'x-tenant-id': 'trace' },
      });
      assert.equal(sampled.status, 200);
      const storeSpanSince = () => spans.slice(exported).some((s) => s.service === 'store-service');
      await waitFor(storeSpanSince, {
        timeout: 5000,
        interval: 100,
        what: 'the sampled request’s store span',
      });
      assert.deepEqual(
        spans.filter((s) => s.traceId === traceId).map((s) => `${s.service} ${s.name}`),
        [],
      );
    });
  });
