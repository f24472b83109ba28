import { execFileSync } from 'node:child_process';
import { realpathSync } from 'node:fs';

/**
 * Whether the platform's default branch exists in the repository verify reads.
 *
 * A clone has `refs/heads/<branch>` when that branch is checked out (or was), and
 * `refs/remotes/<remote>/<branch>` for what it fetched; a CI checkout may have one branch
 * only, or a detached HEAD and nothing but the PR's merge ref (GitHub Actions'
 * `refs/remotes/pull/<N>/merge`). There GitHub names the PR's base branch in
 * GITHUB_BASE_REF: a PR can only target a branch that exists, so that counts as seen.
 */
export type DefaultBranchRef =
  | { readonly state: 'found'; readonly ref: string }
  | { readonly state: 'missing'; readonly looked: readonly string[] }
  | { readonly state: 'not-checked'; readonly why: string };

const git = (root: string, args: readonly string[]): string | undefined => {
  try {
    return execFileSync('git', ['-C', root, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' },
    }).trim();
  } catch {
    return undefined;
  }
};

export function findDefaultBranch(
  root: string,
  branch: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): DefaultBranchRef {
  const top = git(root, ['rev-parse', '--show-toplevel']);
  if (top === undefined) return { state: 'not-checked', why: `${root} is not a git checkout` };
  if (realpathSync(top) !== realpathSync(root))
    return { state: 'not-checked', why: `${root} is not the top of a git checkout (${top} is)` };
  if (git(root, ['check-ref-format', '--branch', branch]) === undefined)
    return { state: 'missing', looked: [`"${branch}" is not a valid branch name`] };
  const remotes = (git(root, ['remote']) ?? '').split('\n').filter((r) => r !== '');
  const candidates = [`refs/heads/${branch}`, ...remotes.map((r) => `refs/remotes/${r}/${branch}`)];
  for (const ref of candidates)
    if (git(root, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]) !== undefined)
      return { state: 'found', ref };
  if (env.GITHUB_ACTIONS === 'true' && env.GITHUB_BASE_REF === branch)
    return { state: 'found', ref: `GITHUB_BASE_REF=${branch} (the PR's base branch on GitHub)` };
  return { state: 'missing', looked: candidates };
}
