import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { readWorkspaces } from 'service-catalogue';

const run = promisify(execFile);
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(
    'git',
    ['-c', 'user.name=fixture', '-c', 'user.email=fixture@example.invalid', ...args],
    { cwd },
  );
  return stdout.trim();
}

/**
 * A throwaway git repository holding this checkout's files (committed or not), sharing
 * its node_modules, for tests that change code or manifests or need refs of their own.
 * `base` is the commit of those files.
 */
export async function fixtureRepo(): Promise<{ root: string; base: string; remove(): Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'fixture-repo-'));
  const { stdout } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: repoRoot,
    maxBuffer: 16 * 1024 * 1024,
  });
  for (const file of stdout.split('\0').filter(Boolean)) {
    await mkdir(join(root, dirname(file)), { recursive: true });
    await cp(join(repoRoot, file), join(root, file)).catch(() => undefined);
  }
  await symlink(join(repoRoot, 'node_modules'), join(root, 'node_modules'));
  // Workspaces whose dependencies npm nested (version clashes with the root's).
  for (const { dir } of readWorkspaces(repoRoot)) {
    if (existsSync(join(repoRoot, dir, 'node_modules'))) {
      await symlink(join(repoRoot, dir, 'node_modules'), join(root, dir, 'node_modules'));
    }
  }
  await git(root, 'init', '-q', '-b', 'main');
  await git(root, 'add', '-A');
  await git(root, 'commit', '-q', '-m', 'base');
  return {
    root,
    base: await git(root, 'rev-parse', 'HEAD'),
    remove: () => rm(root, { recursive: true, force: true }),
  };
}
