import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  forgetLabProcessEnv,
  LAB_MALLOC_ARENA_MAX,
  LAB_NODE_FLAGS,
  labProcessEnv,
  missingLabNodeFlags,
} from '../src/lab/node-flags.ts';

const run = promisify(execFile);

describe('the lab process node flags', () => {
  it('names the flags a process lacks, and keeps a value the user chose', () => {
    assert.deepEqual(missingLabNodeFlags([]), [...LAB_NODE_FLAGS]);
    assert.deepEqual(missingLabNodeFlags(['--expose-gc']), [...LAB_NODE_FLAGS]);
    assert.deepEqual(missingLabNodeFlags([...LAB_NODE_FLAGS]), []);
    assert.deepEqual(missingLabNodeFlags(['--max-semi-space-size=32']), []);
  });

  it('MALLOC_ARENA_MAX for the lab process only: added, then not passed on; a value the user set stays', () => {
    const env = labProcessEnv({ PATH: '/bin' });
    assert.equal(env?.MALLOC_ARENA_MAX, LAB_MALLOC_ARENA_MAX);
    assert.equal(env?.PATH, '/bin');
    if (env === undefined) return;
    forgetLabProcessEnv(env);
    assert.deepEqual(env, { PATH: '/bin' });
    assert.equal(labProcessEnv({ MALLOC_ARENA_MAX: '4' }), undefined);
    const own = { MALLOC_ARENA_MAX: '4' };
    forgetLabProcessEnv(own);
    assert.deepEqual(own, { MALLOC_ARENA_MAX: '4' });
  });

  it('bound the young generation: 100 MiB of short-lived garbage leaves new space at 16 MiB at most', async () => {
    const script = `
      let keep = [];
      for (let i = 0; i < 2e6; i++) { keep.push({ i, s: 'x' + i }); if (keep.length > 100000) keep = []; }
      const space = require('node:v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
      process.stdout.write(String(space.space_size));`;
    const { stdout } = await run(process.execPath, [...LAB_NODE_FLAGS, '-e', script]);
    assert.ok(Number(stdout) <= 16 * 2 ** 20, `new space ${Number(stdout) / 2 ** 20} MiB`);
  });
});
