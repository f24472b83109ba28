import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, matchesGlob } from 'node:path';

/**
 * The repository's npm workspaces: which package lives in which folder and which other
 * workspace packages it depends on (delivery maps changed files to services with it, the
 * lab copies the packages of a worktree, the structure test checks the edges).
 */

/** A workspace package: its folder and the workspace packages it depends on. */
export interface Workspace {
  readonly name: string;
  readonly dir: string;
  /** Workspace packages in `dependencies`: what its image or runtime contains. */
  readonly dependsOn: readonly string[];
  /** Workspace packages in `devDependencies`: what its tests use. */
  readonly devDependsOn: readonly string[];
}

// A workspaces entry: a folder, or a glob whose last segment holds the `*` (packages/*, *-service).
function expand(repoRoot: string, pattern: string): string[] {
  if (!pattern.includes('*')) return [pattern];
  const slash = pattern.lastIndexOf('/');
  const parent = slash < 0 ? '' : pattern.slice(0, slash);
  if (parent.includes('*'))
    throw new Error(`workspaces pattern ${pattern}: only the last segment may hold *`);
  return readdirSync(join(repoRoot, parent), { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => (parent === '' ? e.name : `${parent}/${e.name}`))
    .filter((dir) => matchesGlob(dir, pattern));
}

/** Reads the npm workspaces of a repository and their workspace-to-workspace dependencies. */
export function readWorkspaces(repoRoot: string): Workspace[] {
  const root = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { workspaces?: string[] };
  const dirs = [...new Set((root.workspaces ?? []).flatMap((pattern) => expand(repoRoot, pattern)))].sort();
  const manifests = dirs
    .filter((dir) => existsSync(join(repoRoot, dir, 'package.json')))
    .map((dir) => ({
      dir,
      pkg: JSON.parse(readFileSync(join(repoRoot, dir, 'package.json'), 'utf8')) as Record<string, unknown>,
    }));
  const names = new Set(manifests.map((m) => String(m.pkg.name)));
  const internal = (deps: unknown) => Object.keys((deps ?? {}) as object).filter((d) => names.has(d));
  return manifests.map(({ dir, pkg }) => ({
    name: String(pkg.name),
    dir,
    dependsOn: internal(pkg.dependencies),
    devDependsOn: internal(pkg.devDependencies),
  }));
}
