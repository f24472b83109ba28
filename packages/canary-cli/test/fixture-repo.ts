import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

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
  const { stdout: nested } = await run(
    'bash',
    ['-c', 'ls -d */node_modules packages/*/node_modules 2>/dev/null || true'],
    { cwd: repoRoot },
  );
  for (const dir of nested.split('\n').filter((d) => d !== '' && d !== 'node_modules')) {
    await symlink(join(repoRoot, dir), join(root, dir)).catch(() => undefined);
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
