// The breakage suite: realistic changes to a copy of the tree (tests/mutations.ts), each of
// which `canary verify` must refuse under the right rule; the unmodified copy passes.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RULES } from '../src/gitops/rules/index.ts';
import type { Finding } from '../src/gitops/rules/types.ts';
import { verifyRepository } from '../src/gitops/verify.ts';
import { kubectlMissing } from './kubectl.ts';
import { MUTATIONS } from './mutations.ts';
import { apply, copyTree, pool } from './tree.ts';

describe('canary verify: breakage suite', { skip: kubectlMissing }, () => {
  let workDir: string;
  let pristine: Finding[];
  let outcomes: Array<{ findings: Finding[] } | { error: string }>;

  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'verify-breakage-'));
    const clean = join(workDir, 'clean');
    await copyTree(clean);
    pristine = [...(await verifyRepository(clean)).findings];
    outcomes = await pool(MUTATIONS, 2, async (mutation) => {
      const root = await mkdtemp(join(workDir, 'm-'));
      await copyTree(root);
      try {
        await apply(root, mutation);
        return { findings: [...(await verifyRepository(root)).findings] };
      } catch (err) {
        return { error: (err as Error).message };
      }
    });
  });

  after(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it('the unmodified copy passes', () => {
    assert.deepEqual(pristine, []);
  });

  it('has at least 15 mutations and one for every rule', () => {
    assert.ok(MUTATIONS.length >= 15);
    const covered = new Set(MUTATIONS.map((m) => m.rule));
    assert.deepEqual(
      RULES.map((r) => r.id).filter((r) => !covered.has(r)),
      [],
      'rules without a mutation',
    );
  });

  MUTATIONS.forEach((mutation, i) => {
    it(`${mutation.rule} refuses: ${mutation.name}`, () => {
      const outcome = outcomes[i];
      assert.ok(outcome !== undefined);
      if ('error' in outcome) assert.fail(outcome.error);
      const hits = outcome.findings.filter((f) => f.rule === mutation.rule);
      assert.ok(
        hits.length > 0,
        `expected a ${mutation.rule} finding; got: ${outcome.findings.map((f) => `[${f.rule}] ${f.object} ${f.path}: ${f.message}`).join('\n') || 'nothing'}`,
      );
      for (const hit of hits) {
        assert.match(hit.file, /\S/);
        assert.match(hit.object, /\S/);
        assert.match(hit.fix, /\S/);
      }
    });
  });
});
