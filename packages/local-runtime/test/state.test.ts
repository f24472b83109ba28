import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { reapStaleLab, stateFile, writeState } from '../src/lab/state.ts';

const exited = (pid: number) => {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
};

/** A pid that belonged to a process which has ended. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid ?? 0;
}

describe('lab state and reaping', () => {
  it('nothing to do without a state file', async () => {
    const root = await mkdtemp(join(tmpdir(), 'lab-state-'));
    try {
      assert.deepEqual(await reapStaleLab(root), { kind: 'none' });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('a lab that still runs is reported, not touched', async () => {
    const root = await mkdtemp(join(tmpdir(), 'lab-state-'));
    const lab = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    try {
      await writeState(root, { pid: lab.pid ?? 0, children: [] });
      assert.deepEqual(await reapStaleLab(root), { kind: 'running', pid: lab.pid });
      assert.ok(existsSync(stateFile(root)));
    } finally {
      lab.kill('SIGKILL');
      await rm(root, { recursive: true, force: true });
    }
  });

  it('reaps the children of a dead lab that still run its entry points, and only those', async () => {
    const root = await mkdtemp(join(tmpdir(), 'lab-state-'));
    const orphan = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'x-service/src/main.ts']);
    const stranger = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    const control = join(root, 'control.json');
    const orphanExit = new Promise((resolve) => orphan.once('exit', resolve));
    try {
      const labPid = await deadPid();
      await writeFile(control, '{}');
      await writeState(root, {
        pid: labPid,
        children: [
          { pid: orphan.pid ?? 0, name: 'x-service@stable', entry: 'x-service/src/main.ts' },
          // A pid now used by another program (pid reuse): left alone.
          { pid: stranger.pid ?? 0, name: 'y-service@stable', entry: 'y-service/src/main.ts' },
        ],
      });
      const result = await reapStaleLab(root, [control]);
      assert.deepEqual(result, {
        kind: 'reaped',
        pid: labPid,
        reaped: [{ pid: orphan.pid, name: 'x-service@stable' }],
      });
      await orphanExit;
      assert.ok(exited(orphan.pid ?? 0));
      assert.ok(!exited(stranger.pid ?? 0), 'the stranger runs on');
      assert.ok(!existsSync(stateFile(root)) && !existsSync(control), 'state files removed');
    } finally {
      orphan.kill('SIGKILL');
      stranger.kill('SIGKILL');
      await rm(root, { recursive: true, force: true });
    }
  });
});
