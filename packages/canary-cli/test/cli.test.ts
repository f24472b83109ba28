// The CLI's usage errors are plain words: which command, which option, what it accepts.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));

async function usageError(...args: string[]): Promise<string> {
  try {
    await run(process.execPath, [main, ...args]);
  } catch (err) {
    const { code, stderr } = err as { code: number; stderr: string };
    assert.equal(code, 2, stderr);
    assert.match(stderr, /run 'canary help' for usage\n$/);
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
