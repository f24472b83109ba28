// The request-smuggling corpus (test-harness/smuggling) against the real Traefik, built from
// its Go module at the pinned release: the reference the lab's edge is held to. Traefik
// runs with its file provider on loopback in front of a recording backend.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  describeFailures,
  type RecordingBackend,
  runSmugglingCorpus,
  startRecordingBackend,
} from 'test-harness/smuggling';
import { waitFor } from 'test-harness/wait';
import { goSkipReason } from '../src/go.ts';
import { freePort } from '../src/net.ts';
import { ensureTool } from '../src/tools.ts';

const goMissing = await goSkipReason();

const status = (port: number, path: string): Promise<number> =>
  new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, path, headers: { host: 'localhost' }, timeout: 1_000 },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });

describe('real Traefik in front of a recording backend', { skip: goMissing }, () => {
  let dir: string;
  let backend: RecordingBackend;
  let traefik: ChildProcess;
  let port: number;
  let version: string;
  let output = '';

  before(async () => {
    const tool = await ensureTool('traefik');
    version = tool.version;
    dir = await mkdtemp(join(tmpdir(), 'traefik-smuggling-'));
    backend = await startRecordingBackend('stable');
    port = await freePort();
    const dynamic = join(dir, 'dynamic.yaml');
    await writeFile(
      dynamic,
      [
        'http:',
        '  routers:',
        '    all:',
        '      entryPoints: [web]',
        '      rule: PathPrefix(`/`)',
        '      service: recording',
        '  services:',
        '    recording:',
        '      loadBalancer:',
        '        servers:',
        `          - url: http://127.0.0.1:${backend.port}`,
        '',
      ].join('\n'),
    );
    traefik = spawn(
      tool.path,
      [
        `--entryPoints.web.address=127.0.0.1:${port}`,
        `--providers.file.filename=${dynamic}`,
        '--global.checkNewVersion=false',
        '--global.sendAnonymousUsage=false',
        '--log.level=ERROR',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    traefik.stdout?.on('data', (c: Buffer) => {
      output += c.toString();
    });
    traefik.stderr?.on('data', (c: Buffer) => {
      output += c.toString();
    });
    // Ready once a request reaches the backend through it (bounded).
    const outcome = await waitFor(
      async () =>
        traefik?.exitCode !== null ? 'exited' : (await status(port, '/__ready')) === 200 && 'routing',
      { timeout: 30_000, interval: 100, what: () => `traefik ${version} to route:\n${output}` },
    );
    if (outcome === 'exited') throw new Error(`traefik ${version} exited before routing:\n${output}`);
  });

  after(async () => {
    traefik?.kill('SIGKILL');
    await backend?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('lets no request hidden in a body reach the backend past its own parsing; where it frames differently from the lab edge, the differences are the documented ones', async (t) => {
    const report = await runSmugglingCorpus({
      host: '127.0.0.1',
      port,
      hostHeader: 'localhost',
      seen: () => backend.events().filter((e) => e.kind !== 'request' || e.path !== '/__ready'),
    });
    assert.ok(report.cases.length >= 60, `the whole corpus ran (${report.cases.length} cases)`);
    const extra = report.cases.flatMap((c) => c.smuggled.map((event) => ({ id: c.id, event })));
    // A request hidden in a body and forwarded as bytes would reach the backend without the
    // forwarding headers Traefik adds to every request it parses and routes itself.
    const bypassed = extra.filter(
      ({ event }) =>
        event.kind !== 'request' ||
        event.headers['x-forwarded-for'] === undefined ||
        event.headers['x-forwarded-server'] === undefined,
    );
    assert.deepEqual(bypassed, [], describeFailures(report));
    // Nothing a backend could not parse as a request, beyond bodies Traefik cut short.
    assert.deepEqual(
      report.unattributed.filter((e) => e.kind === 'request' || e.bytes !== ''),
      [],
      describeFailures(report),
    );
    // Where it differs from the lab edge: a request with both Content-Length and
    // Transfer-Encoding is framed by Transfer-Encoding and the connection kept open (RFC 9112
    // §6.1 says close it), so the bytes after the chunked body are read as the client's next
    // request, routed through every router and middleware like any other. The lab refuses
    // such requests with 400 (docs/lab.md).
    const reframed = [...new Set(extra.map((x) => x.id))];
    assert.ok(reframed.length > 0, 'the corpus tells the two framings apart');
    for (const id of reframed)
      assert.match(id, /^(cl-te|te-te|expect)\//, `${id}: only requests that carried both lengths`);
    t.diagnostic(
      `traefik ${version}: ${report.cases.length} cases; 0 requests past its own parsing; ` +
        `${reframed.length} cases with Content-Length and Transfer-Encoding read as two requests (${reframed.join(', ')}); ` +
        `${report.cases.filter((v) => v.statuses.includes(400)).length} refused with 400, ` +
        `${report.cases.filter((v) => v.statuses.includes(500)).length} answered 500 (a body it could not read)`,
    );
  });
});
