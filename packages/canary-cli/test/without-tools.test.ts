// What works without the optional tools: without kubectl, render builds with the kustomize
// built from its Go module, to the same objects; without Go, verify --cluster says what to
// install before doing any work.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { goSkipReason } from 'upstream-tools';
import { kubectlMissing } from './kubectl.ts';

const run = promisify(execFile);
const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const goMissing = await goSkipReason();

describe('canary without kubectl or Go', { skip: kubectlMissing || goMissing }, () => {
  let bin: string;
  // PATH with node and git only: no kubectl, no go.
  const bare = () => ({ ...process.env, PATH: `${dirname(process.execPath)}:${bin}`, GO: '' });

  before(async () => {
    bin = await mkdtemp(join(tmpdir(), 'canary-bare-path-'));
    await symlink('/usr/bin/git', join(bin, 'git'));
  });
  after(async () => {
    await rm(bin, { recursive: true, force: true });
  });

  it('render without kubectl builds the same objects with the kustomize built from its module', async () => {
    const args = [main, 'render', '--pr', '123', '--head-sha', '1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b'];
    const withKubectl = await run(process.execPath, args, { maxBuffer: 16 << 20 });
    // Go stays reachable for the first build (GO names it); kubectl does not.
    const withoutKubectl = await run(process.execPath, args, {
      maxBuffer: 16 << 20,
      env: { ...bare(), GO: '/usr/local/go/bin/go' },
    });
    assert.ok(withKubectl.stdout.includes('kind: Deployment'));
    assert.equal(withoutKubectl.stdout, withKubectl.stdout);
  });

  it('verify --cluster without Go names what to install and does no work', async () => {
    try {
      await run(process.execPath, [main, 'verify', '--cluster'], {
        env: { ...bare(), GO: '/nonexistent/go' },
      });
      assert.fail('verify --cluster succeeded without Go');
    } catch (err) {
      const { code, stderr } = err as { code: number; stderr: string };
      assert.equal(code, 1, stderr);
      assert.match(stderr, /Go 1\.26 or newer is needed/);
      assert.match(stderr, /GO=\/nonexistent\/go/);
      assert.match(stderr, /npm run tools/);
      assert.doesNotMatch(stderr, /rendered|control plane/, 'it stopped before rendering');
    }
  });
});
