// The lab's edge as a trust boundary: what a client sends is framed once, by the edge, and
// nothing a client sends as a body reaches a backend as a request; early answers reach
// the client; hop-by-hop headers end at the edge; the public entrypoint's errors say
// nothing of what is behind it.
import assert from 'node:assert/strict';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { BackendRef, PlatformObject } from 'routing-model';
import { buildEdgeTable } from 'routing-model/traefik';
import {
  type BackendEvent,
  describeFailures,
  exchange,
  type RecordingBackend,
  runSmugglingCorpus,
  type SeenRequest,
  startRecordingBackend,
} from 'test-harness/smuggling';
import { waitFor } from 'test-harness/wait';
import { startIssuer } from '../src/issuer.ts';
import type { Resolution } from '../src/lab/backends.ts';
import { EdgeRouter } from '../src/lab/edge-router.ts';
import type { ServiceProcess } from '../src/process.ts';
import { startApi } from '../src/services.ts';

const API_HOST = 'api.test.example';

const ingressRoute = (
  name: string,
  entryPoint: string,
  match: string,
  service: { name: string; namespace: string },
  extra: Record<string, unknown> = {},
): PlatformObject => ({
  apiVersion: 'traefik.io/v1alpha1',
  kind: 'IngressRoute',
  metadata: { name, namespace: 'apps' },
  spec: {
    entryPoints: [entryPoint],
    routes: [{ kind: 'Rule', match, services: [{ ...service, port: 'http' }], ...extra }],
  },
});

/** As the manifests strip the routing key on the public entrypoint. */
const stripCanary: PlatformObject = {
  apiVersion: 'traefik.io/v1alpha1',
  kind: 'Middleware',
  metadata: { name: 'strip-canary-headers', namespace: 'apps' },
  spec: {
    headers: {
      customRequestHeaders: { 'X-Canary': '', baggage: '' },
      customResponseHeaders: { 'X-Served-By': '', 'X-Canary-Echo': '', 'X-Canary-Error': '' },
    },
  },
};
const strip = { middlewares: [{ name: 'strip-canary-headers' }] };

/** A closed loopback port: connections to it are refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A backend that accepts requests and never answers (for the edge's 504). */
async function silentBackend(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const requests = (events: readonly BackendEvent[]) =>
  events.filter((e): e is SeenRequest => e.kind === 'request');

/** Polls until `found` returns a value, for at most `ms`. */
const eventually = <T extends object>(found: () => T | undefined, ms = 3000) =>
  waitFor(found, { timeout: ms, interval: 1, what: 'the request at the backend' });

describe('the lab edge frames requests itself', () => {
  let stable: RecordingBackend;
  let canary: RecordingBackend;
  let silent: Awaited<ReturnType<typeof silentBackend>>;
  let refusedPort: number;
  let edge: EdgeRouter;
  const seen = () => [...stable.events(), ...canary.events()];

  before(async () => {
    stable = await startRecordingBackend('stable');
    canary = await startRecordingBackend('pr-123');
    silent = await silentBackend();
    refusedPort = await closedPort();
    const addresses: Record<string, Resolution> = {
      'api-service.apps': { kind: 'up', address: `127.0.0.1:${stable.port}` },
      'api-service.api-canary-pr-123': { kind: 'up', address: `127.0.0.1:${canary.port}` },
      'refused-service.apps': { kind: 'up', address: `127.0.0.1:${refusedPort}` },
      'silent-service.apps': { kind: 'up', address: `127.0.0.1:${silent.port}` },
    };
    const resolve = (ref: BackendRef): Resolution =>
      addresses[`${ref.name}.${ref.namespace}`] ?? { kind: 'down', reason: 'exited (SIGKILL)' };
    const host = `Host(\`${API_HOST}\`)`;
    const objects: PlatformObject[] = [stripCanary];
    for (const entryPoint of ['internal', 'websecure']) {
      const extra = entryPoint === 'websecure' ? strip : {};
      objects.push(
        ingressRoute(
          `stable-${entryPoint}`,
          entryPoint,
          host,
          { name: 'api-service', namespace: 'apps' },
          extra,
        ),
        ingressRoute(
          `down-${entryPoint}`,
          entryPoint,
          'Host(`down.test.example`)',
          { name: 'api-service', namespace: 'api-canary-pr-55' },
          extra,
        ),
        ingressRoute(
          `refused-${entryPoint}`,
          entryPoint,
          'Host(`refused.test.example`)',
          { name: 'refused-service', namespace: 'apps' },
          extra,
        ),
        ingressRoute(
          `silent-${entryPoint}`,
          entryPoint,
          'Host(`silent.test.example`)',
          { name: 'silent-service', namespace: 'apps' },
          extra,
        ),
      );
    }
    objects.push(
      ingressRoute(
        'pr-123',
        'internal',
        `${host} && Header(\`X-Canary\`, \`123\`)`,
        { name: 'api-service', namespace: 'api-canary-pr-123' },
        { priority: 1000 },
      ),
    );
    edge = new EdgeRouter({
      entryPoints: { internal: 0, websecure: 0 },
      guardedEntryPoints: ['internal'],
      host: API_HOST,
      resolve,
      responseHeaderTimeoutMs: 500,
    });
    edge.setTable(buildEdgeTable(objects));
    await edge.listen();
  });

  after(async () => {
    await edge?.close();
    await Promise.all([stable?.close(), canary?.close(), silent?.close()]);
  });

  for (const entryPoint of ['internal', 'websecure'] as const) {
    it(`no body reaches a backend as a request: the smuggling corpus through the ${entryPoint} entrypoint smuggles 0`, async (t) => {
      const report = await runSmugglingCorpus({
        host: '127.0.0.1',
        port: edge.ports[entryPoint] ?? 0,
        hostHeader: 'localhost',
        seen,
      });
      assert.ok(report.cases.length >= 60, `the whole corpus ran (${report.cases.length} cases)`);
      assert.equal(report.smuggled, 0, describeFailures(report));
      assert.equal(report.failed, 0, describeFailures(report));
      // Not vacuous: what is valid HTTP was answered by the backend, each request as itself.
      const valid = report.cases.filter((v) =>
        ['bodiless-chunked', 'bodiless-length', 'pipelined'].includes(v.family),
      );
      assert.ok(valid.length >= 12);
      for (const v of valid) assert.ok(v.statuses.length > 0 && v.statuses.every((s) => s === 200), v.id);
      t.diagnostic(
        `${entryPoint}: ${report.cases.length} cases, ${report.passed} passed, ${report.failed} failed, ${report.smuggled} smuggled; ` +
          `${report.cases.filter((v) => v.statuses.includes(400)).length} refused with 400`,
      );
      assert.ok(
        !seen().some((e) => e.kind === 'request' && e.headers['x-corpus-hidden'] !== undefined),
        'no hidden request (X-Canary: 123) reached stable or PR 123',
      );
    });
  }

  it('the corpus finds smuggling: a proxy that forwards a chunked DELETE as content-length: 0 fails it', async () => {
    // The http-proxy-3 2.0.1 defect, as a TCP relay that rewrites the first request's framing.
    const relay = createServer((client) => {
      const upstream = connect(stable.port, '127.0.0.1');
      let first = true;
      client.on('data', (chunk: Buffer) => {
        let text = chunk.toString('latin1');
        if (first && /^(DELETE|OPTIONS) /.test(text)) {
          text = text.replace('Transfer-Encoding: chunked\r\n', 'Content-Length: 0\r\n');
          const headEnd = text.indexOf('\r\n\r\n') + 4;
          // The body goes on raw, as a proxy that pipes what it did not frame.
          text = text.slice(0, headEnd) + text.slice(headEnd).replace(/^[0-9a-f]+\r\n/, '');
        }
        first = false;
        upstream.write(Buffer.from(text, 'latin1'));
      });
      upstream.pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      client.on('end', () => upstream.end());
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    try {
      const report = await runSmugglingCorpus(
        { host: '127.0.0.1', port: (relay.address() as AddressInfo).port, seen: stable.events },
        { timeoutMs: 1000, probes: 1 },
      );
      const del = report.cases.find((v) => v.id === 'bodiless-chunked/delete');
      assert.equal(del?.passed, false);
      assert.ok((del?.smuggled.length ?? 0) >= 1, 'the hidden request reached the backend');
      assert.ok(report.smuggled >= 2, `${report.smuggled} smuggled (DELETE and OPTIONS)`);
    } finally {
      await new Promise<void>((resolve) => relay.close(() => resolve()));
    }
  });

  const HOP_BY_HOP_REQUEST = [
    'Connection: X-Hop-Named, keep-alive',
    'X-Hop-Named: secret',
    'Keep-Alive: timeout=5',
    'TE: trailers',
    'Trailer: X-Checksum',
    'Upgrade: websocket',
    'Proxy-Authorization: Basic c2VjcmV0',
    'Proxy-Connection: keep-alive',
    'Proxy-Custom: yes',
    'X-End-To-End: kept',
  ];
  const hopNames = [
    'x-hop-named',
    'keep-alive',
    'te',
    'trailer',
    'upgrade',
    'proxy-authorization',
    'proxy-connection',
    'proxy-custom',
    'expect',
  ];

  for (const entryPoint of ['internal', 'websecure'] as const) {
    for (const expect of [false, true]) {
      it(`hop-by-hop headers end at the ${entryPoint} edge${expect ? ', with Expect: 100-continue' : ''}`, async () => {
        const path = `/hop/${entryPoint}/${expect ? 'expect' : 'plain'}`;
        const body = '{"name":"x"}';
        const result = await exchange(
          { host: '127.0.0.1', port: edge.ports[entryPoint] ?? 0 },
          `POST ${path} HTTP/1.1\r\nHost: localhost\r\n${HOP_BY_HOP_REQUEST.join('\r\n')}\r\n${expect ? 'Expect: 100-continue\r\n' : ''}Content-Length: ${body.length}\r\n\r\n${body}`,
          ['POST'],
        );
        assert.equal(result.responses[0]?.status, 200);
        const got = await eventually(() => requests(stable.events()).find((e) => e.path === path));
        for (const name of hopNames) {
          assert.equal(got.headers[name], undefined, `${name} reached the backend`);
        }
        // The edge's own connection to the backend has its own Connection header, if any.
        assert.match(got.headers.connection ?? 'keep-alive', /^(keep-alive|close)$/);
        assert.equal(got.headers['x-end-to-end'], 'kept');
        assert.equal(got.bodyLength, body.length);
      });
    }
  }

  it('oversized headers get 431 in the JSON error shape, read before the connection closes (no reset)', async () => {
    for (const entryPoint of ['internal', 'websecure'] as const) {
      const result = await exchange(
        { host: '127.0.0.1', port: edge.ports[entryPoint] ?? 0 },
        `GET /v1/items HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`,
        ['GET'],
        { readAfterSending: true },
      );
      const [answer] = result.responses;
      assert.equal(answer?.status, 431, entryPoint);
      assert.match(answer?.headers['content-type'] ?? '', /^application\/json/);
      assert.deepEqual(JSON.parse(answer?.body ?? ''), {
        error: { code: 'headers_too_large', message: 'the request headers are too large' },
      });
      assert.equal(result.reset, false, `${entryPoint}: closed without a reset`);
    }
  });

  const publicErrors: ReadonlyArray<readonly [string, number, string]> = [
    ['no.route.example:4444', 404, 'no_route'],
    ['down.test.example', 503, 'backend_unavailable'],
    ['refused.test.example', 502, 'bad_gateway'],
    ['silent.test.example', 504, 'gateway_timeout'],
  ];
  for (const [host, status, code] of publicErrors) {
    it(`a public ${status} names no service, host, port or process state and echoes nothing of the request`, async () => {
      const path = '/v1/items/secret-path-segment';
      const send = (entryPoint: 'internal' | 'websecure') =>
        exchange(
          { host: '127.0.0.1', port: edge.ports[entryPoint] ?? 0 },
          `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`,
          ['GET'],
        );
      const publicAnswer = (await send('websecure')).responses[0];
      assert.equal(publicAnswer?.status, status);
      const parsed = JSON.parse(publicAnswer?.body ?? '') as { error: { code: string; message: string } };
      assert.deepEqual(Object.keys(parsed.error), ['code', 'message']);
      assert.equal(parsed.error.code, code);
      const text = JSON.stringify(publicAnswer?.headers) + (publicAnswer?.body ?? '');
      const leaks = [
        'api-service',
        'refused-service',
        'silent-service',
        'apps',
        'canary',
        'PR ',
        'pr-55',
        '127.0.0.1',
        String(refusedPort),
        String(silent.port),
        String(stable.port),
        'ECONNREFUSED',
        'SIGKILL',
        'not serving',
        'lab',
        'entrypoint',
        'websecure',
        host.split(':')[0] ?? host,
        'secret-path-segment',
      ];
      for (const leak of leaks) {
        const word = new RegExp(`\\b${leak.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'i');
        assert.doesNotMatch(text, word, `the public ${status} says "${leak}": ${text}`);
      }
      // The guarded entrypoint, on the developer's machine, does say why.
      const guarded = (await send('internal')).responses[0];
      assert.equal(guarded?.status, status);
      assert.match(guarded?.body ?? '', /lab edge: /);
    });
  }
});

describe('uploads through the edge get the api’s answer', () => {
  let api: ServiceProcess;
  let issuer: Awaited<ReturnType<typeof startIssuer>>;
  let edge: EdgeRouter;
  let token: string;

  before(async () => {
    issuer = await startIssuer();
    token = await issuer.token('uploads');
    // No store: the answers under test (401, 413) come before any store call.
    api = await startApi(await closedPort(), issuer.env, { telemetry: false });
    edge = new EdgeRouter({
      entryPoints: { internal: 0, websecure: 0 },
      guardedEntryPoints: ['internal'],
      host: API_HOST,
      resolve: () => ({ kind: 'up', address: `127.0.0.1:${api.ports.port}` }),
    });
    edge.setTable(
      buildEdgeTable([
        stripCanary,
        ingressRoute('stable', 'internal', `Host(\`${API_HOST}\`)`, {
          name: 'api-service',
          namespace: 'apps',
        }),
        ingressRoute(
          'public',
          'websecure',
          `Host(\`${API_HOST}\`)`,
          { name: 'api-service', namespace: 'apps' },
          strip,
        ),
      ]),
    );
    await edge.listen();
  });

  after(async () => {
    await edge?.close();
    await api?.stop();
    await issuer?.close();
  });

  const MiB = 1024 * 1024;
  const upload = (
    entryPoint: 'internal' | 'websecure',
    size: number,
    framing: 'length' | 'chunked',
    authenticated: boolean,
  ) => {
    const body = Buffer.alloc(size, 'a');
    const headers = [
      'POST /v1/items HTTP/1.1',
      'Host: localhost',
      'Content-Type: application/json',
      ...(authenticated ? [`Authorization: Bearer ${token}`] : []),
      framing === 'length' ? `Content-Length: ${size}` : 'Transfer-Encoding: chunked',
    ];
    const head = Buffer.from(`${headers.join('\r\n')}\r\n\r\n`, 'latin1');
    const payload =
      framing === 'length'
        ? Buffer.concat([head, body])
        : Buffer.concat([
            head,
            Buffer.from(`${size.toString(16)}\r\n`, 'latin1'),
            body,
            Buffer.from('\r\n0\r\n\r\n', 'latin1'),
          ]);
    return exchange({ host: '127.0.0.1', port: edge.ports[entryPoint] ?? 0 }, payload, ['POST'], {
      readAfterSending: true,
      timeoutMs: 10_000,
    });
  };

  const cases: ReadonlyArray<readonly [string, number, 'length' | 'chunked', boolean, number, number]> = [
    ['10 MiB with Content-Length', 10 * MiB, 'length', true, 413, 6],
    ['20 MiB with Content-Length (past the api’s drain limit)', 20 * MiB, 'length', true, 413, 6],
    ['20 MiB chunked', 20 * MiB, 'chunked', true, 413, 6],
    ['20 MiB unauthenticated', 20 * MiB, 'length', false, 401, 3],
    ['20 MiB chunked, unauthenticated', 20 * MiB, 'chunked', false, 401, 3],
  ];
  for (const [what, size, framing, authenticated, status, tries] of cases) {
    it(`a client that sends ${what} before reading gets ${status} through either entrypoint, ${tries} times of ${tries}`, async () => {
      const outcomes: string[] = [];
      for (let i = 0; i < tries; i += 1) {
        const entryPoint = i % 2 === 0 ? 'internal' : 'websecure';
        const result = await upload(entryPoint, size, framing, authenticated);
        const answer = result.responses[0];
        outcomes.push(
          answer === undefined
            ? `no answer${result.reset ? ', reset' : ''}`
            : `${answer.status} ${(JSON.parse(answer.body) as { error: { code: string } }).error.code}`,
        );
      }
      const code = status === 413 ? 'payload_too_large' : 'unauthenticated';
      assert.deepEqual(outcomes, Array(tries).fill(`${status} ${code}`));
    });
  }

  it('after an early 413 the rest of the body is drained and the connection answers its next request as itself', async () => {
    const body = Buffer.alloc(2 * MiB, 'a');
    const first = `POST /v1/items HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const second = 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n';
    const result = await exchange(
      { host: '127.0.0.1', port: edge.ports.internal ?? 0 },
      Buffer.concat([Buffer.from(first, 'latin1'), body, Buffer.from(second, 'latin1')]),
      ['POST', 'GET'],
      { readAfterSending: true },
    );
    assert.deepEqual(
      result.responses.map((r) => r.status),
      [413, 200],
    );
    assert.deepEqual(JSON.parse(result.responses[1]?.body ?? ''), { status: 'ok' });
    assert.equal(result.reset, false);
  });
});
