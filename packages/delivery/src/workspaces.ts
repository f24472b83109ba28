import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A workspace package: its folder and the workspace packages it depends on. */
export interface Workspace {
  readonly name: string;
  readonly dir: string;
  readonly dependsOn: readonly string[];
}

/** Services that become container images (and PR canaries). */
export const SERVICES = ['api-service', 'store-service'] as const;
export type Service = (typeof SERVICES)[number];

/** Reads the npm workspaces of a repository and their workspace-to-workspace dependencies. */
export function readWorkspaces(repoRoot: string): Workspace[] {
  const root = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { workspaces?: string[] };
  const dirs = (root.workspaces ?? []).flatMap((pattern) =>
    pattern.endsWith('/*')
      ? readdirSync(join(repoRoot, pattern.slice(0, -2)), { withFileTypes: true })
          .filter((e) => e.isDirectory())
          .map((e) => `${pattern.slice(0, -2)}/${e.name}`)
      : [pattern],
  );
  const manifests = dirs
    .filter((dir) => existsSync(join(repoRoot, dir, 'package.json')))
    .map((dir) => ({
      dir,
      pkg: JSON.parse(readFileSync(join(repoRoot, dir, 'package.json'), 'utf8')) as Record<string, unknown>,
    }));
  const names = new Set(manifests.map((m) => String(m.pkg.name)));
  return manifests.map(({ dir, pkg }) => ({
    name: String(pkg.name),
    dir,
    dependsOn: Object.keys({ ...(pkg.dependencies as object), ...(pkg.devDependencies as object) }).filter(
      (d) => names.has(d),
    ),
  }));
}
