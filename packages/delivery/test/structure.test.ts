// The tree reads as its architecture: every package says which workspace packages it uses
// (and code only uses what it declares), no file reaches into another package by a
// relative path (folders that are no package, like the manifests, may be read), and the
// packages form no cycle, tests included. External packages likewise: every one a package
// imports is in its manifest, and every one in its manifest is used.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readWorkspaces, type Workspace } from 'service-catalogue';

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

/** Import specifiers with whether the import is type-only (erased at run time). */
const TYPED_SPECIFIER = /(?:^|[\s;])(?:import|export)(\s+type)?\s[^'"]*?from\s+['"]([^'"]+)['"]/gm;
/**
 * Packages named to this package's resolver rather than imported: require.resolve,
 * import.meta.resolve, createRequire(import.meta.url).resolve.
 */
const RESOLVED =
  /(?:\brequire|import\.meta|createRequire\(import\.meta\.url\))\.resolve\(\s*['"]([^'"./][^'"]*)['"]/g;

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

  for (const workspace of workspaces) {
    it(`${workspace.name}: declares every external package it uses, and uses every one it declares`, () => {
      const problems = externalDependencyProblems(workspace);
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

const builtins = new Set(builtinModules);
const isExternal = (pkg: string) =>
  pkg !== '' && !names.has(pkg) && !pkg.startsWith('node:') && !builtins.has(pkg);

interface Manifest {
  readonly dependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
  readonly scripts?: Record<string, string>;
  readonly bin?: string | Record<string, string>;
}

const readManifest = (dir: string): Manifest =>
  JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;

/** The commands an installed package puts on PATH (node_modules/.bin). */
function binsOf(pkg: string): string[] {
  const file = join(repoRoot, 'node_modules', pkg, 'package.json');
  if (!existsSync(file)) return [];
  const { bin } = readManifest(dirname(file));
  if (bin === undefined) return [];
  return typeof bin === 'string' ? [pkg.split('/').pop() ?? pkg] : Object.keys(bin);
}

/**
 * A package's code: its own source files, plus the files of folders that are no package
 * (the manifests' typed sources) it imports by relative path, which run as its code.
 */
function codeOf(dir: string): string[] {
  const seen = new Set(sourceFiles(dir));
  const queue = [...seen];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    for (const specifier of imports(file)) {
      if (!specifier.startsWith('.')) continue;
      const target = resolve(dirname(file), specifier);
      const inPackage = !relative(dir, target).startsWith('..');
      const inOther = workspaces.some((w) => !relative(join(repoRoot, w.dir), target).startsWith('..'));
      if (inPackage || inOther || seen.has(target) || !existsSync(target)) continue;
      seen.add(target);
      queue.push(target);
    }
  }
  return [...seen];
}

/** Text that runs tools by name: the manifest's scripts and the package's shell and buf files. */
function toolText(dir: string, manifest: Manifest): string {
  const files = readdirSync(dir).filter((f) => /\.(sh|ya?ml)$/.test(f));
  return [
    ...Object.values(manifest.scripts ?? {}),
    ...files.map((f) => readFileSync(join(dir, f), 'utf8')),
  ].join('\n');
}

/**
 * What a package's manifest gets wrong about external packages. Used means: imported
 * (statically or dynamically), named to a resolver (require.resolve, import.meta.resolve),
 * or run as a tool (its name or command in the scripts or the package's shell/buf files, or
 * its command as a string in the code, as tests run CLIs). `@types/x` is used when `x` is,
 * or when there is no package `x` (types of a platform, such as chrome). Source code
 * (src/) must find what it runs with in `dependencies`; type-only imports, tests and
 * scripts may use `devDependencies` too.
 */
function externalDependencyProblems(workspace: Workspace): string[] {
  const dir = join(repoRoot, workspace.dir);
  const manifest = readManifest(dir);
  const runtime = new Set(Object.keys(manifest.dependencies ?? {}));
  const declared = new Set([...runtime, ...Object.keys(manifest.devDependencies ?? {})]);
  const used = new Set<string>();
  const problems: string[] = [];
  const code: string[] = [];
  for (const file of codeOf(dir)) {
    const text = readFileSync(file, 'utf8');
    code.push(text);
    const rel = relative(repoRoot, file);
    const isRuntime = relative(dir, file).startsWith('src/') && !file.endsWith('.test.ts');
    const typeOnly = new Map<string, boolean>();
    for (const m of text.matchAll(TYPED_SPECIFIER)) {
      const pkg = packageOf(m[2] ?? '');
      typeOnly.set(pkg, (typeOnly.get(pkg) ?? true) && m[1] !== undefined);
    }
    const specifiers = [...imports(file), ...[...text.matchAll(RESOLVED)].map((m) => m[1] ?? '')];
    for (const pkg of new Set(specifiers.filter((s) => !s.startsWith('.')).map(packageOf))) {
      if (!isExternal(pkg)) continue;
      used.add(pkg);
      if (!declared.has(pkg)) problems.push(`${rel}: imports ${pkg}, not in package.json`);
      else if (isRuntime && !runtime.has(pkg) && typeOnly.get(pkg) !== true)
        problems.push(`${rel}: runs with ${pkg}, declared only in devDependencies`);
    }
  }
  const tools = toolText(dir, manifest);
  const allCode = code.join('\n');
  const runsAsTool = (pkg: string) =>
    tools.includes(pkg) ||
    binsOf(pkg).some(
      (bin) => new RegExp(`(^|[\\s/'"])${bin}([\\s'"]|$)`, 'm').test(tools) || allCode.includes(`'${bin}'`),
    );
  for (const pkg of declared) {
    if (!isExternal(pkg) || used.has(pkg) || runsAsTool(pkg)) continue;
    if (pkg.startsWith('@types/')) {
      const typed = pkg.slice('@types/'.length).replace(/^(.+)__(.+)$/, '@$1/$2');
      if (used.has(typed) || declared.has(typed) || !existsSync(join(repoRoot, 'node_modules', typed)))
        continue;
    }
    problems.push(`${workspace.dir}/package.json: declares ${pkg}, which nothing in the package uses`);
  }
  return problems;
}
