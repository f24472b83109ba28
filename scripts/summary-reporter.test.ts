// The closing line counts every test that did not run, a skipped suite's tests included,
// and under CI=true a skip fails the run.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { testCallsIn, testsWrittenIn } from './summary-reporter.ts';

const reporter = fileURLToPath(new URL('./summary-reporter.ts', import.meta.url));

/** This environment without CI and without the test runner's marker (a nested run reports to its parent otherwise). */
function outsideCi(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.CI;
  delete env.NODE_TEST_CONTEXT;
  return env;
}

// A suite skipped for a missing tool (its body never runs), a skipped test, one that runs.
const FIXTURE = `import { describe, it } from 'node:test';
const missing = 'promtool is not usable; install: apt-get install prometheus';
describe('needs a tool', { skip: missing }, () => {
  it('one', () => {});
  it(\`two \${'it('}\`, () => { const text = "it('not a test')"; });
  // it('commented out')
  describe('nested', () => { it('three', () => {}); });
});
it('skipped alone', { skip: 'no shellcheck' }, () => {});
it('runs', () => {});
`;

describe('summary reporter', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'summary-reporter-'));
    await writeFile(join(dir, 'fixture.test.mjs'), FIXTURE);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const runFixture = (env: NodeJS.ProcessEnv) =>
    promisify(execFile)(
      process.execPath,
      ['--test', `--test-reporter=${reporter}`, '--test-reporter-destination=stdout', 'fixture.test.mjs'],
      { cwd: dir, env },
    );

  it("counts a skipped suite's tests from its source, and names each skip with its reason", async () => {
    const { stdout } = await runFixture(outsideCi());
    const lines = stdout.trim().split('\n');
    assert.equal(lines.at(-1), '1 passed, 0 failed, 4 skipped');
    assert.ok(
      lines.includes(
        'skipped suite "needs a tool" (3 tests): promtool is not usable; install: apt-get install prometheus',
      ),
      stdout,
    );
    assert.ok(lines.includes('skipped "skipped alone": no shellcheck'), stdout);
  });

  it('under CI=true a skip fails the run', async () => {
    await assert.rejects(
      runFixture({ ...outsideCi(), CI: 'true' }),
      (err: { code: number; stdout: string }) => {
        assert.equal(err.code, 1);
        assert.match(err.stdout, /CI=true: 4 tests did not run/);
        assert.match(err.stdout, /1 passed, 0 failed, 4 skipped\n$/);
        return true;
      },
    );
  });

  it('finds the tests written in a call, not in its strings or comments', () => {
    assert.equal(testsWrittenIn(FIXTURE, 3, 1), 3);
    assert.equal(testsWrittenIn("describe('x', () => {});", 1, 1), 1, 'an empty suite still counts once');
    const looped = "describe('x', () => {\n  for (const m of MUTATIONS)\n    it(m, () => {});\n});";
    assert.deepEqual(testCallsIn(looped, 1, 1), { calls: 1, inLoop: true }, 'a loop is flagged: at least');
    assert.deepEqual(testCallsIn(FIXTURE, 3, 1).inLoop, false);
  });
});
