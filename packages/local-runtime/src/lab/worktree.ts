import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { readWorkspaces } from 'service-catalogue';

const run = promisify(execFile);

export async function git(repoRoot: string, ...args: string[]): Promise<string> {
  try {
    const { stdout } = await run('git', args, { cwd: repoRoot });
    return stdout.trim();
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new Error(`git ${args.join(' ')}: ${stderr || (err as Error).message}`);
  }
}

/** The full sha of a ref (branch, tag, sha, HEAD~1 …). */
export const resolveRef = (repoRoot: string, ref: string) =>
  git(repoRoot, 'rev-parse', '--verify', `${ref}^{commit}`);

/**
 * A checkout of `ref` under .lab/worktrees/<sha>, runnable like the working tree: its
 * workspace packages are linked into its own node_modules (so a ref's change to a shared
 * package is used), third-party packages resolve from the repository's node_modules
 * (the root's, and any a workspace has nested). When
 * the ref's lockfile differs from the working tree's, the ref gets its own `npm ci`.
 */
export async function worktreeFor(
  repoRoot: string,
  ref: string,
  progress: (line: string) => void,
): Promise<{ root: string; sha: string }> {
  const sha = await resolveRef(repoRoot, ref);
  const root = join(repoRoot, '.lab', 'worktrees', sha);
  if (!existsSync(join(root, 'package.json'))) {
    progress(`checking out ${ref} (${sha.slice(0, 8)}) into ${relative(repoRoot, root)}`);
    await mkdir(join(repoRoot, '.lab', 'worktrees'), { recursive: true });
    await git(repoRoot, 'worktree', 'add', '--detach', '--force', root, sha);
  }
  const [ours, theirs] = await Promise.all([
    readFile(join(repoRoot, 'package-lock.json'), 'utf8').catch(() => ''),
    readFile(join(root, 'package-lock.json'), 'utf8').catch(() => ''),
  ]);
  if (ours !== theirs) {
    if (!existsSync(join(root, 'node_modules', '.install-stamp'))) {
      progress(`${ref} has other dependencies: npm ci in its worktree ...`);
      await run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], {
        cwd: root,
        maxBuffer: 32 * 1024 * 1024,
      });
      await writeFile(join(root, 'node_modules', '.install-stamp'), '');
    }
    return { root, sha };
  }
  await mkdir(join(root, 'node_modules'), { recursive: true });
  for (const { name, dir } of readWorkspaces(root)) {
    const link = join(root, 'node_modules', name);
    if (!existsSync(link)) await symlink(relative(join(root, 'node_modules'), join(root, dir)), link);
    // npm nests a workspace's dependencies there when their versions clash with the root's.
    const nested = join(repoRoot, dir, 'node_modules');
    if (existsSync(nested) && !existsSync(join(root, dir, 'node_modules'))) {
      await symlink(nested, join(root, dir, 'node_modules'));
    }
  }
  return { root, sha };
}

export async function removeWorktree(repoRoot: string, root: string): Promise<void> {
  await git(repoRoot, 'worktree', 'remove', '--force', root).catch(() => undefined);
}
