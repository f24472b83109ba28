// The schema packages `canary verify` validates against are the ones localdev/versions.env
// names (the one place upstream versions are pinned), exactly.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

describe('pinned versions', () => {
  it('package.json pins every schema package of versions.env, at that version, and no other', () => {
    const pinned = [
      ...readFileSync(`${repoRoot}localdev/versions.env`, 'utf8').matchAll(
        /^SCHEMA_[A-Z_]+=(.+)@([^@\s]+)$/gm,
      ),
    ].map(([, name, version]) => [name, version]);
    assert.ok(pinned.length >= 5);
    const deps = (
      JSON.parse(readFileSync(`${repoRoot}packages/canary-cli/package.json`, 'utf8')) as {
        dependencies: Record<string, string>;
      }
    ).dependencies;
    assert.deepEqual(
      Object.fromEntries(
        Object.entries(deps).filter(
          ([name]) => name === 'kubernetes-models' || name.startsWith('@kubernetes-models/'),
        ),
      ),
      Object.fromEntries(pinned),
    );
    const installed = (name: string) =>
      (
        JSON.parse(readFileSync(`${repoRoot}node_modules/${name}/package.json`, 'utf8')) as {
          version: string;
        }
      ).version;
    for (const [name, version] of pinned) assert.equal(installed(name ?? ''), version, `${name} installed`);
  });
});
