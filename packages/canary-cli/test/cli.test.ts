// The CLI's usage errors are plain words: which command, which option, what it accepts;
// every command answers --help and --version, and docs/cli.md is generated from the same table.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { cliReference, REFERENCE_FILE } from '../src/cli/reference.ts';
import { nearest, parseInvocation } from '../src/cli/spec.ts';
import { PROGRAM } from '../src/commands.ts';
import { statusLines } from '../src/lab-up.ts';
import { labelHint } from '../src/render-command.ts';

const run = promisify(execFile);
const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

async function usageError(...args: string[]): Promise<string> {
  try {
    await run(process.execPath, [main, ...args]);
  } catch (err) {
    const { code, stderr } = err as { code: number; stderr: string };
    assert.equal(code, 2, stderr);
    assert.match(stderr, /run 'canary ([a-z]+ )*(--)?help' for usage\n$/);
    return stderr.split('\n')[0] ?? '';
  }
  assert.fail(`canary ${args.join(' ')} succeeded`);
}

describe('canary usage errors', () => {
  it('name the command, the option and what is known, without parser jargon', async () => {
    assert.equal(
      await usageError('lab', 'add', '5', '--sevices', 'x'),
      'canary: lab add: unknown option --sevices (known: --services, --ref, --isolated-data, --fault-delay-ms, --fault-error-ratio, --repo)',
    );
    assert.equal(await usageError('lab', 'up', '--port'), 'canary: lab up: --port needs a value');
    assert.equal(
      await usageError('lab', 'add', '5', '--fault-delay-ms', 'abc'),
      'canary: lab add: --fault-delay-ms expects milliseconds from 0 to 10000, got "abc"',
    );
    assert.equal(
      await usageError('verify', 'extra'),
      'canary: verify: unexpected argument extra (options: --repo, --cluster, --keep-cluster, --kubeconfig, --context, --env, --throwaway-namespaces)',
    );
    assert.equal(
      await usageError('lab', 'rm', 'pr-1'),
      'canary: expected a PR number (1-9999999999), got "pr-1"',
    );
    assert.equal(
      await usageError('lab', 'restart'),
      'canary: lab restart needs a SERVICE, e.g. store-service',
    );
  });
});

describe('the command table', () => {
  const words = PROGRAM.commands.map((c) => [...c.path]);

  it('every command and subcommand answers --help with its own usage, and --version', async () => {
    for (const path of [...words, ['lab']]) {
      for (const flag of ['--help', '-h']) {
        const help = await parseInvocation(PROGRAM, [...path, flag]);
        assert.equal(help.kind, 'help', `${path.join(' ')} ${flag}`);
        assert.ok(help.text.includes(`canary ${path.join(' ')}`), `${path.join(' ')} ${flag}: ${help.text}`);
      }
      const version = await parseInvocation(PROGRAM, [...path, '--version']);
      assert.deepEqual(version, { kind: 'version', text: `canary ${PROGRAM.version}\n` });
    }
    const viaHelp = await parseInvocation(PROGRAM, ['help', 'lab', 'add']);
    assert.ok(viaHelp.kind === 'help' && viaHelp.text.startsWith('usage: canary lab add N'));
  });

  it('canary lab alone lists the lab subcommands', async () => {
    const { stdout } = await run(process.execPath, [main, 'lab']);
    for (const sub of ['up', 'add', 'rm', 'restart', 'status'])
      assert.match(stdout, new RegExp(`canary lab ${sub} `), stdout);
  });

  it('a mistyped command or option is answered with the nearest known one', async () => {
    assert.equal(
      await usageError('lab', 'stauts'),
      "canary: unknown command 'lab stauts'; did you mean 'canary lab status'? (lab commands: up, add, rm, restart, status)",
    );
    assert.match(await usageError('rendr', '--pr', '1'), /did you mean 'canary render'\?/);
    assert.match(await usageError('status'), /did you mean 'canary lab status'\?/);
    await assert.rejects(
      parseInvocation(PROGRAM, ['lab', 'add', '5', '--servics', 'x']),
      /did you mean --services\?/,
    );
    await assert.rejects(parseInvocation(PROGRAM, ['lab', 'rm', '5', '--hepl']), /did you mean --help\?/);
    assert.equal(nearest('zzzz', ['render', 'verify']), undefined, 'nothing close: no guess');
  });

  it('a missing required option names it and what it is', async () => {
    assert.equal(await usageError('render'), 'canary: render: --pr N is required (the PR number)');
    await assert.rejects(parseInvocation(PROGRAM, ['token']), /token: --tenant T is required/);
  });

  it('docs/cli.md is generated from the same table (npm run docs:cli writes it)', async () => {
    const onDisk = await readFile(REFERENCE_FILE, 'utf8');
    assert.equal(onDisk, cliReference(), 'docs/cli.md differs from the commands: run npm run docs:cli');
    for (const c of PROGRAM.commands) {
      assert.ok(onDisk.includes(`## canary ${c.path.join(' ')}\n`), c.path.join(' '));
      for (const option of Object.keys(c.options)) assert.ok(onDisk.includes(`--${option}`), option);
    }
  });
});

describe('errors that say what to do next', () => {
  it('render --env with an unknown environment lists the environments', async () => {
    assert.equal(
      await usageError('render', '--pr', '1', '--env', 'prod'),
      'canary: render: no environment "prod" (environments: production, staging, integration-001; the PR ApplicationSets are in integration-001)',
    );
  });

  it('render --labels with a service name hints that labels look like canary:<service>', () => {
    assert.equal(labelHint(repoRoot, ['canary:store-service', 'canary:isolated-data']), undefined);
    assert.equal(
      labelHint(repoRoot, ['store-service']),
      'labels look like canary:<service> (store-service → canary:store-service); the ones the ApplicationSets select on: canary:api-service, canary:store-service, canary:isolated-data',
    );
  });

  it('lab status shows the Prometheus URL and each canary with its isolated tables', () => {
    const lines = statusLines({
      entrypoints: { internal: 'http://localhost:8080 (guarded: X-Canary honoured)' },
      mesh: {},
      dynamodb: 'http://127.0.0.1:1',
      dataDir: null,
      prometheus: 'http://127.0.0.1:9090',
      services: [],
      canaries: [
        {
          pr: 42,
          services: ['store-service'],
          sha: 'abcdef0123',
          ref: null,
          tables: { 'store-service': 'store-items-pr-42' },
        },
        { pr: 7, services: ['store-service'], sha: '0123456789', ref: 'my-branch', tables: {} },
      ],
      routes: { edge: [], mesh: [] },
    });
    assert.ok(lines.includes('  prometheus http://127.0.0.1:9090'), lines.join('\n'));
    assert.ok(
      lines.some((l) =>
        /^ {2}PR 42 +store-service +abcdef01 +- +store-items-pr-42 \(store-service\)$/.test(l),
      ),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((l) => /^ {2}PR 7 +store-service +01234567 +my-branch +-$/.test(l)),
      lines.join('\n'),
    );
  });
});
