// What the README and docs tell a newcomer to type can be typed as written: no command that
// npx could resolve to another package from the registry, every `./canary …` names a
// command the CLI has, and every workspace script runs .ts through the project's Node.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PROGRAM } from '../src/commands.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** Every Markdown file a reader meets: the README, docs/, and each package's README. */
function docs(): string[] {
  const files = ['README.md', ...readdirSync(join(repoRoot, 'docs')).map((f) => join('docs', f))];
  for (const dir of ['.', 'packages']) {
    for (const name of readdirSync(join(repoRoot, dir))) {
      const readme = join(dir, name, 'README.md');
      if (name !== 'node_modules' && !name.startsWith('.') && existsSync(join(repoRoot, readme)))
        files.push(relative('.', readme));
    }
  }
  return [...new Set(files.filter((f) => f.endsWith('.md')))];
}

/** Text a program prints for people to run: the lab's "Try:" lines and the PR comment. */
const PRINTED = ['packages/canary-cli/src/lab-up.ts', 'packages/delivery/src/pr-comment.ts'];

const lines = (file: string) =>
  readFileSync(join(repoRoot, file), 'utf8')
    .split('\n')
    .map((text, i) => ({ file, line: i + 1, text }));

describe('commands in the docs', () => {
  it('no documented or printed command runs npx canary (npx would fetch the registry package of that name) or node on main.ts', () => {
    // Nor node on main.ts directly: under the machine's Node 20 that fails on the .ts file.
    const found = [...docs(), ...PRINTED]
      .flatMap(lines)
      .filter(({ text }) =>
        /npx\s+canary\s+[a-z-]|(?:^|[\s`(])node packages\/canary-cli\/src\/main\.ts/.test(text),
      )
      .map(({ file, line, text }) => `${file}:${line}: ${text.trim()}`);
    assert.deepEqual(found, []);
    assert.ok(statSync(join(repoRoot, 'canary')).mode & 0o100, './canary is executable');
  });

  it('every ./canary command in the docs is one the CLI has', () => {
    const groups = new Set(PROGRAM.groups.map((g) => g.name));
    const known = new Set(PROGRAM.commands.map((c) => c.path.join(' ')));
    const wrong: string[] = [];
    let seen = 0;
    for (const { file, line, text } of [...docs(), ...PRINTED].flatMap(lines)) {
      for (const [, first, second] of text.matchAll(/\.\/canary ([a-z]+)(?: ([a-z]+))?/g)) {
        seen += 1;
        const name = groups.has(first ?? '') ? `${first} ${second}` : (first ?? '');
        if (!known.has(name) && name !== 'help') wrong.push(`${file}:${line}: ./canary ${name}`);
      }
    }
    assert.deepEqual(wrong, []);
    assert.ok(seen > 20, `only ${seen} ./canary commands found: is the pattern still right?`);
  });

  it("every workspace script that runs TypeScript goes through scripts/run.sh (the project's Node)", () => {
    const manifests = [
      'package.json',
      ...readdirSync(join(repoRoot, 'packages')).map((p) => `packages/${p}/package.json`),
    ];
    for (const name of readdirSync(repoRoot))
      if (existsSync(join(repoRoot, name, 'package.json')) && name !== 'node_modules')
        manifests.push(`${name}/package.json`);
    const bypass: string[] = [];
    for (const file of manifests.filter((m) => existsSync(join(repoRoot, m)))) {
      const { scripts = {} } = JSON.parse(readFileSync(join(repoRoot, file), 'utf8')) as {
        scripts?: Record<string, string>;
      };
      // Scripts that only other scripts run (the root's lint, typecheck, test:node …) count
      // when every script that runs them has gone through run.sh.
      const viaRunSh = new Set<string>();
      for (let grew = true; grew; ) {
        grew = false;
        for (const [script, command] of Object.entries(scripts)) {
          if (viaRunSh.has(script)) continue;
          const callers = Object.entries(scripts).filter(([, c]) => c.includes(`npm run ${script}`));
          if (
            command.includes('scripts/run.sh') ||
            (callers.length > 0 && callers.every(([caller]) => viaRunSh.has(caller)))
          ) {
            viaRunSh.add(script);
            grew = true;
          }
        }
      }
      for (const [script, command] of Object.entries(scripts))
        if (/\bnode\b.*\.ts\b/.test(command) && !viaRunSh.has(script))
          bypass.push(`${file} ${script}: ${command}`);
    }
    assert.deepEqual(bypass, []);
  });
});
