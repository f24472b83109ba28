// Where the edge differential test (canary-cli/test/edge-differential.test.ts) found the
// lab's edge routing differently from real Traefik, pinned without Traefik: a fully
// qualified host (trailing dot) is the same host, and a repeated X-Canary header matches a
// canary route when any of its values does, reaching the backend one line per value.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { PlatformObject } from 'routing-model';
import { EmulatedEdge } from '../src/lab/emulated-edge.ts';

const HOST = 'api.example.com';

const route = (name: string, match: string, namespace: string, priority: number): PlatformObject => ({
  apiVersion: 'traefik.io/v1alpha1',
  kind: 'IngressRoute',
  metadata: { name, namespace: 'apps' },
  spec: {
    entryPoints: ['internal'],
    routes: [{ kind: 'Rule', match, priority, services: [{ name: 'api-service', namespace, port: 8080 }] }],
  },
});

/** One raw request; the answer's body. */
function send(port: number, lines: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () =>
      socket.write(`${['GET / HTTP/1.1', ...lines, 'Connection: close'].join('\r\n')}\r\n\r\n`),
    );
    let raw = '';
    socket.on('data', (c: Buffer) => {
      raw += c.toString();
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(raw.split('\r\n\r\n').slice(1).join('\r\n\r\n')));
  });
}

describe('the emulated edge routes as Traefik does', () => {
  const backends: Server[] = [];
  const address = new Map<string, string>();
  let edge: EmulatedEdge;

  before(async () => {
    for (const ns of ['apps', 'api-canary-pr-5']) {
      const server = createServer((req, res) => {
        const values: string[] = [];
        for (let i = 0; i < req.rawHeaders.length; i += 2)
          if (req.rawHeaders[i]?.toLowerCase() === 'x-canary') values.push(String(req.rawHeaders[i + 1]));
        res.setHeader('content-length', Buffer.byteLength(`${ns} ${JSON.stringify(values)}`));
        res.end(`${ns} ${JSON.stringify(values)}`);
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      backends.push(server);
      address.set(ns, `127.0.0.1:${(server.address() as AddressInfo).port}`);
    }
    edge = new EmulatedEdge({
      entryPoints: { internal: 0 },
      guardedEntryPoints: ['internal'],
      host: HOST,
      resolve: (ref) => {
        const a = address.get(ref.namespace);
        return a === undefined ? { kind: 'down', reason: 'test' } : { kind: 'up', address: a };
      },
    });
    await edge.start([
      route('stable', `Host(\`${HOST}\`)`, 'apps', 10),
      route('canary-5', `Host(\`${HOST}\`) && Header(\`X-Canary\`, \`5\`)`, 'api-canary-pr-5', 1000),
    ]);
  });

  after(async () => {
    await edge.close();
    for (const b of backends) b.close();
  });

  it('treats a trailing dot as the same host', async () => {
    const port = edge.ports.internal as number;
    assert.equal(await send(port, [`Host: ${HOST}.`, 'X-Canary: 5']), 'api-canary-pr-5 ["5"]');
    assert.equal(await send(port, [`Host: ${HOST}.`]), 'apps []');
  });

  it('matches a repeated X-Canary by any of its values and forwards each line as sent', async () => {
    const port = edge.ports.internal as number;
    assert.equal(
      await send(port, [`Host: ${HOST}`, 'X-Canary: 7', 'X-Canary: 5']),
      'api-canary-pr-5 ["7","5"]',
    );
    // One line holding a list is one value: it matches nothing.
    assert.equal(await send(port, [`Host: ${HOST}`, 'X-Canary: 5, 7']), 'apps ["5, 7"]');
  });
});
