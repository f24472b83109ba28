// The tree reads as its architecture: every package says which workspace packages it uses
// (and code only uses what it declares), no file reaches into another package by a
// relative path (folders that are no package, like the manifests, may be read), and the
// packages form no cycle, tests included.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readWorkspaces, type Workspace } from '../src/workspaces.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const workspaces = readWorkspaces(repoRoot);
const names = new Set(workspaces.map((w) => w.name));

// Generated or built output, and fixtures that stand for other packages (copied into a
// throwaway repository by their tests), are not this package's own code.
const SKIP = new Set(['node_modules', 'dist', 'gen', 'fixtures', '.lab', '.data']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (SKIP.has(e.name) || e.name.startsWith('.')) return [];
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return /\.(ts|js|mjs)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

const SPECIFIER =
  /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm;

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(SPECIFIER)].map((m) => m[1] ?? m[2] ?? m[3] ?? '').filter(Boolean);
}

const packageOf = (specifier: string) =>
  specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : (specifier.split('/')[0] ?? '');

describe('package structure', () => {
  it('finds the workspaces (sanity: the scan below looks at real packages)', () => {
    for (const name of ['canary-context', 'store-contract', 'local-runtime', 'test-harness', 'api-service'])
      assert.ok(names.has(name), name);
  });

  for (const workspace of workspaces) {
    it(`${workspace.name}: imports only declared workspace packages, and none by relative path`, () => {
      const dir = join(repoRoot, workspace.dir);
      const problems: string[] = [];
      for (const file of sourceFiles(dir)) {
        const rel = relative(repoRoot, file);
        const isTest = /(^|\/)test\//.test(relative(dir, file)) || file.endsWith('.test.ts');
        const allowed = new Set([
          workspace.name,
          ...workspace.dependsOn,
          ...(isTest || !relative(dir, file).startsWith('src/') ? workspace.devDependsOn : []),
        ]);
        for (const specifier of imports(file)) {
          if (specifier.startsWith('.')) {
            const target = relative(repoRoot, resolve(dirname(file), specifier));
            const other = workspaces.find(
              (w) => w !== workspace && (target === w.dir || target.startsWith(`${w.dir}/`)),
            );
            if (other !== undefined)
              problems.push(`${rel}: ${specifier} reaches into ${other.name} (import the package instead)`);
            continue;
          }
          const pkg = packageOf(specifier);
          if (names.has(pkg) && !allowed.has(pkg))
            problems.push(
              `${rel}: imports ${pkg}, not declared in ${isTest ? 'dependencies or devDependencies' : 'dependencies'}`,
            );
        }
      }
      assert.deepEqual(problems, []);
    });
  }

  it('has no dependency cycle between packages, devDependencies included', () => {
    const byName = new Map(workspaces.map((w) => [w.name, w]));
    const state = new Map<string, 'visiting' | 'done'>();
    const cycles: string[] = [];
    const visit = (w: Workspace, path: string[]) => {
      if (state.get(w.name) === 'done') return;
      if (state.get(w.name) === 'visiting') {
        cycles.push([...path.slice(path.indexOf(w.name)), w.name].join(' → '));
        return;
      }
      state.set(w.name, 'visiting');
      for (const dep of [...w.dependsOn, ...w.devDependsOn]) {
        const next = byName.get(dep);
        if (next !== undefined) visit(next, [...path, w.name]);
      }
      state.set(w.name, 'done');
    };
    for (const w of workspaces) visit(w, []);
    assert.deepEqual(cycles, []);
  });
});
