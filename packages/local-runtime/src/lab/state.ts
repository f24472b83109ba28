import { readFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** What a running lab records about itself, so that the next `lab up` can clean up after it. */
export interface LabState {
  readonly pid: number;
  readonly children: ReadonlyArray<{ readonly pid: number; readonly name: string; readonly entry: string }>;
}

/** `.lab/state.json` of a checkout. */
export const stateFile = (repoRoot: string) => join(repoRoot, '.lab', 'state.json');

/** Written atomically (temporary file, then rename): a reader never sees half a file. */
export async function writeState(repoRoot: string, state: LabState): Promise<void> {
  const file = stateFile(repoRoot);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
}

export const removeState = (repoRoot: string) => rm(stateFile(repoRoot), { force: true });

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

// Guards against pid reuse: only a process still running the recorded entry point is ours.
const runs = (pid: number, entry: string) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(entry);
  } catch {
    return false;
  }
};

export type StaleLab =
  | { readonly kind: 'none' }
  | { readonly kind: 'running'; readonly pid: number }
  | {
      readonly kind: 'reaped';
      readonly pid: number;
      readonly reaped: ReadonlyArray<{ pid: number; name: string }>;
    };

/**
 * Looks at the state a previous lab of this checkout left. A lab that still runs is
 * reported (two labs would fight over ports). One that died without cleaning up (kill -9,
 * a crash, a closed terminal before this fix) gets its leftover services killed and its
 * files removed.
 */
export async function reapStaleLab(repoRoot: string, extraFiles: readonly string[] = []): Promise<StaleLab> {
  let state: LabState;
  try {
    state = JSON.parse(await readFile(stateFile(repoRoot), 'utf8')) as LabState;
  } catch {
    return { kind: 'none' };
  }
  if (state.pid !== process.pid && alive(state.pid)) return { kind: 'running', pid: state.pid };
  const reaped: Array<{ pid: number; name: string }> = [];
  for (const child of state.children) {
    if (!alive(child.pid) || !runs(child.pid, child.entry)) continue;
    process.kill(child.pid, 'SIGKILL');
    reaped.push({ pid: child.pid, name: child.name });
  }
  await removeState(repoRoot);
  for (const file of extraFiles) await rm(file, { force: true });
  return { kind: 'reaped', pid: state.pid, reaped };
}
