// `canary lab up` as a newcomer runs it: a process of its own, ended by a closed terminal
// (SIGHUP) or kill -9, started again, asked about by `lab status` from an older node, and
// started where its port is taken (the guarded one, or the public one after the guarded one was bound).
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { LAB_NODE_FLAGS } from 'local-runtime/lab';
import { waitFor } from 'test-harness/wait';
import { fixtureRepo } from './fixture-repo.ts';
import { kubectlMissing } from './kubectl.ts';

const run = promisify(execFile);
const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const bin = fileURLToPath(new URL('../bin/canary.js', import.meta.url));
const canaryScript = fileURLToPath(new URL('../../../canary', import.meta.url));

interface LabProcess {
  readonly child: ChildProcess;
  readonly lines: string[];
  readonly exited: Promise<number | null>;
}

/** Every lab this file started: whatever a failed assertion leaves running is killed in after(). */
const started = new Set<ChildProcess>();

async function labUp(root: string, ...args: string[]): Promise<LabProcess> {
  const child = spawn(
    process.execPath,
    [main, 'lab', 'up', '--repo', root, '--in-memory', '--port', '0', '--public-port', '0', ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  started.add(child);
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`lab up not ready:\n${lines.join('\n')}`)), 90_000);
    const onLine = (line: string) => {
      lines.push(line);
      if (line.includes('Ctrl-C stops everything.')) {
        clearTimeout(timer);
        resolve();
      }
    };
    if (child.stdout) createInterface({ input: child.stdout }).on('line', onLine);
    if (child.stderr) createInterface({ input: child.stderr }).on('line', onLine);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`lab up exited ${code}:\n${lines.join('\n')}`));
    });
  });
  return { child, lines, exited };
}

const childPids = (root: string): number[] =>
  (
    JSON.parse(readFileSync(join(root, '.lab/state.json'), 'utf8')) as { children: Array<{ pid: number }> }
  ).children.map((c) => c.pid);

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Until none of `pids` runs; fails naming the ones left after `withinMs`. */
const allGone = (pids: readonly number[], withinMs: number) =>
  waitFor(() => !pids.some(alive), {
    timeout: withinMs,
    interval: 100,
    what: () => `no process left of ${pids.join(', ')} (still running: ${pids.filter(alive).join(', ')})`,
  });

/** A node older than 22 (what many machines run by default): the system's, or Node 20 from npm. */
async function oldNode(): Promise<string> {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node', '/bin/node']) {
    if (!existsSync(candidate)) continue;
    const { stdout } = await run(candidate, ['--version']);
    if (Number(stdout.trim().slice(1).split('.')[0]) < 22) return candidate;
  }
  const prefix = join(tmpdir(), 'pr-canary-node20');
  const node = join(prefix, 'node_modules/.bin/node');
  if (!existsSync(node))
    await run('npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', 'node@20'], {
      timeout: 300_000,
    });
  return node;
}

describe('lab up as a process', { skip: kubectlMissing }, () => {
  let repo: Awaited<ReturnType<typeof fixtureRepo>>;
  before(async () => {
    repo = await fixtureRepo();
  });
  after(async () => {
    for (const child of started)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await repo?.remove();
  });

  it('the CLI works from a node older than 22 (bin/canary.js and ./canary): lab status answers, through the project’s node', async () => {
    const node = await oldNode();
    const env = { PATH: `${dirname(node)}:/usr/bin:/bin`, HOME: process.env.HOME ?? '' };
    const { stdout: version } = await run(node, ['--version'], { env });
    assert.ok(Number(version.trim().slice(1).split('.')[0]) < 22, `${node} is ${version.trim()}`);
    await assert.rejects(
      run(node, [bin, 'lab', 'status', '--repo', repo.root], { env }),
      (err: { code: number; stderr: string }) => {
        assert.equal(err.code, 1);
        assert.doesNotMatch(err.stderr, /ERR_UNKNOWN_FILE_EXTENSION/);
        assert.match(
          err.stderr,
          /canary: no lab is running from this checkout \(start one with 'npm start' or 'canary lab up'\)/,
        );
        return true;
      },
    );
    const lab = await labUp(repo.root);
    try {
      const { stdout } = await run(node, [bin, 'lab', 'status', '--repo', repo.root], { env });
      assert.match(stdout, /store-service\s+stable/);
      assert.match(stdout, /restarts/);
      // ./canary, the documented way, under the same old node.
      const script = await run(canaryScript, ['lab', 'status', '--repo', repo.root], { env });
      assert.match(script.stdout, /store-service\s+stable/);
    } finally {
      lab.child.kill('SIGTERM');
      assert.equal(await lab.exited, 0);
    }
  });

  it('a closed terminal (SIGHUP) stops the lab and every service it started, and removes its state', async () => {
    const lab = await labUp(repo.root);
    // lab up re-executed itself with the lab's node flags and MALLOC_ARENA_MAX, in the same
    // process (same pid)…
    const argv = readFileSync(`/proc/${lab.child.pid}/cmdline`, 'utf8').split('\0');
    for (const flag of LAB_NODE_FLAGS) assert.ok(argv.includes(flag), `lab up's argv: ${argv.join(' ')}`);
    const environ = (pid: number | undefined) => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    assert.ok(environ(lab.child.pid).includes('MALLOC_ARENA_MAX=2'));
    const pids = childPids(repo.root);
    assert.ok(pids.length >= 2, `children: ${pids}`);
    // …which its services do not inherit.
    for (const pid of pids)
      assert.ok(!environ(pid).some((v) => v.startsWith('MALLOC_ARENA_MAX=')), `pid ${pid}`);
    lab.child.kill('SIGHUP');
    assert.equal(await lab.exited, 0);
    await allGone(pids, 10_000);
    assert.ok(!existsSync(join(repo.root, '.lab/state.json')));
    assert.ok(!existsSync(join(repo.root, '.lab/control.json')));
  });

  it('kill -9 of the lab: its services stop themselves; the next lab up says it cleaned up', async () => {
    const lab = await labUp(repo.root);
    const pids = childPids(repo.root);
    lab.child.kill('SIGKILL');
    await lab.exited;
    await allGone(pids, 15_000); // no orphans
    const next = await labUp(repo.root);
    try {
      assert.ok(
        next.lines.some((l) =>
          l.includes(`lab: the previous lab (pid ${lab.child.pid}) ended without cleaning up`),
        ),
        next.lines.join('\n'),
      );
    } finally {
      next.child.kill('SIGTERM');
      assert.equal(await next.exited, 0);
    }
  });

  it('the control endpoint answers only loopback Host headers with the lab’s secret', async () => {
    const lab = await labUp(repo.root);
    try {
      const file = join(repo.root, '.lab/control.json');
      assert.equal(statSync(file).mode & 0o777, 0o600, 'control file readable by its owner only');
      const info = JSON.parse(readFileSync(file, 'utf8')) as { url: string; secret: string };
      const status = (host: string, secret?: string) =>
        new Promise<number>((resolve, reject) => {
          const url = new URL('/status', info.url);
          const req = request(
            {
              host: url.hostname,
              port: url.port,
              path: url.pathname,
              headers: { host, ...(secret === undefined ? {} : { 'x-lab-secret': secret }) },
            },
            (res) => {
              res.resume();
              resolve(res.statusCode ?? 0);
            },
          );
          req.on('error', reject);
          req.end();
        });
      assert.equal(await status(`127.0.0.1:${new URL(info.url).port}`, info.secret), 200);
      assert.equal(await status('attacker.example:80', info.secret), 403, 'a DNS-rebinding page');
      assert.equal(await status(`127.0.0.1:${new URL(info.url).port}`), 403, 'no secret');
      assert.equal(await status(`localhost:${new URL(info.url).port}`, 'guess'), 403, 'wrong secret');
    } finally {
      lab.child.kill('SIGTERM');
      await lab.exited;
    }
  });

  it('a taken public port: the error says how to pass both ports to npm start, every port is released, the lab exits 1', async () => {
    const listening = async (port: number) => {
      const server = createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => resolve());
      });
      return server;
    };
    const blocker = await listening(0);
    const taken = (blocker.address() as AddressInfo).port;
    const probe = await listening(0);
    const guarded = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    try {
      await assert.rejects(
        run(
          process.execPath,
          [
            main,
            'lab',
            'up',
            '--repo',
            repo.root,
            '--in-memory',
            '--port',
            String(guarded),
            '--public-port',
            String(taken),
          ],
          { timeout: 120_000 },
        ),
        (err: { code: number | null; killed: boolean; stderr: string }) => {
          assert.equal(err.killed, false, 'the lab exited by itself');
          assert.equal(err.code, 1, err.stderr);
          assert.match(
            err.stderr,
            new RegExp(
              `port ${taken} \\(entrypoint websecure\\) is already in use .*choose another with --public-port, e\\.g\\. npm start -- --port ${guarded + 10} --public-port ${taken + 10}`,
            ),
          );
          return true;
        },
      );
      // The guarded port it had bound is free again, and nothing it started is left.
      const again = await listening(guarded);
      await new Promise((resolve) => again.close(resolve));
      assert.ok(!existsSync(join(repo.root, '.lab/state.json')), 'no state left behind');
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('a taken port is named with the flag that changes it; explain without a lab says how to get one', async () => {
    const lab = await labUp(repo.root);
    // Another checkout, so that only the port is in the way.
    const other = await fixtureRepo();
    try {
      const port = /http:\/\/localhost:(\d+)\/v1\/items/.exec(lab.lines.join('\n'))?.[1];
      assert.ok(port);
      await assert.rejects(
        run(process.execPath, [
          main,
          'lab',
          'up',
          '--repo',
          other.root,
          '--in-memory',
          '--port',
          port,
          '--public-port',
          '0',
        ]),
        (err: { code: number; stderr: string }) => {
          assert.equal(err.code, 1);
          assert.match(
            err.stderr,
            new RegExp(
              `port ${port} \\(entrypoint internal\\) is already in use .*choose another with --port`,
            ),
          );
          return true;
        },
      );
    } finally {
      lab.child.kill('SIGTERM');
      await lab.exited;
      await other.remove();
    }
    await assert.rejects(
      run(process.execPath, [main, 'explain', '--repo', repo.root, 'GET', '/v1/items']),
      (err: { code: number; stderr: string }) => {
        assert.match(
          err.stderr,
          /no lab is running from this checkout: start one with `npm start`, or .* --base-url URL/,
        );
        return true;
      },
    );
  });
});
