import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
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

/** The full sha of a ref (branch, tag, sha, HEAD~1 …); a ref that names no commit is said so in words. */
export async function resolveRef(repoRoot: string, ref: string): Promise<string> {
  try {
    return await git(repoRoot, 'rev-parse', '--verify', '--quiet', `${ref}^{commit}`);
  } catch {
    throw new Error(
      `${JSON.stringify(ref)} names no commit in this checkout: give a branch, tag or commit sha (git branch --all and git tag list them; git fetch brings a remote's)`,
    );
  }
}

/** The folder of the worktrees that --ref and --stable-ref check out. */
export const worktreesDir = (repoRoot: string) => join(repoRoot, '.lab', 'worktrees');

/**
 * Removes every worktree under .lab/worktrees (and git's record of it): what a lab that
 * was killed left behind. Only while no lab runs from this checkout.
 */
export async function removeLeftoverWorktrees(repoRoot: string): Promise<string[]> {
  const dir = worktreesDir(repoRoot);
  const left = existsSync(dir) ? await readdir(dir) : [];
  for (const name of left) {
    await removeWorktree(repoRoot, join(dir, name));
    await rm(join(dir, name), { recursive: true, force: true });
  }
  await git(repoRoot, 'worktree', 'prune').catch(() => undefined);
  return left;
}

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
  const root = join(worktreesDir(repoRoot), sha);
  if (!existsSync(join(root, 'package.json'))) {
    progress(`checking out ${ref} (${sha.slice(0, 8)}) into ${relative(repoRoot, root)}`);
    await mkdir(worktreesDir(repoRoot), { recursive: true });
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
