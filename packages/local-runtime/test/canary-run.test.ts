// How the lab runs a PR canary: the bundle that ships, with the canary profile's heap
// flags, when it is built and newer than its sources; the sources otherwise.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CANARY_PROFILE_FILE, canaryProfile, canaryRun } from '../src/lab/node-flags.ts';
import { repoRoot } from '../src/paths.ts';

describe('a PR canary in the lab', () => {
  const root = mkdtempSync(join(tmpdir(), 'canary-run-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const touch = (path: string, seconds: number) => {
    const file = join(root, path);
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, '');
    utimesSync(file, seconds, seconds);
  };

  it("reads the canary layer's profile from this checkout: NODE_OPTIONS and resources", () => {
    const profile = canaryProfile(repoRoot);
    assert.ok(profile !== undefined);
    assert.match(profile.nodeOptions, /--max-old-space-size=\d+ --max-semi-space-size=\d+/);
    assert.ok(
      profile.resources.limits.memory !== undefined && profile.resources.requests.memory !== undefined,
    );
    assert.equal(canaryProfile(root), undefined, 'a checkout without one');
  });

  it('runs the sources without a bundle, and when the bundle is older than a source it is built from', () => {
    writeFileSync(join(root, 'package.json'), JSON.stringify({ workspaces: ['packages/*', '*-service'] }));
    mkdirSync(join(root, 'store-service'), { recursive: true });
    writeFileSync(
      join(root, 'store-service/package.json'),
      JSON.stringify({ name: 'store-service', dependencies: { 'service-kit': '^0.1.0' } }),
    );
    mkdirSync(join(root, 'packages/service-kit'), { recursive: true });
    writeFileSync(join(root, 'packages/service-kit/package.json'), JSON.stringify({ name: 'service-kit' }));
    mkdirSync(join(root, 'packages/lab-only'), { recursive: true });
    writeFileSync(join(root, 'packages/lab-only/package.json'), JSON.stringify({ name: 'lab-only' }));
    touch('store-service/src/main.ts', 1000);
    assert.deepEqual(
      { ...canaryRun(root, 'store-service'), reason: undefined },
      { build: 'sources', nodeOptions: undefined, reason: undefined },
    );
    touch('store-service/dist/main.js', 2000);
    touch('packages/service-kit/src/index.ts', 3000);
    const stale = canaryRun(root, 'store-service');
    assert.equal(stale.build, 'sources');
    assert.match(stale.reason, /older than its sources/);
  });

  it('runs a current bundle with the profile heap flags; a package it does not run with may be newer', () => {
    mkdirSync(join(root, CANARY_PROFILE_FILE, '..'), { recursive: true });
    cpSync(join(repoRoot, CANARY_PROFILE_FILE), join(root, CANARY_PROFILE_FILE));
    touch('store-service/dist/main.js', 4000);
    touch('packages/lab-only/src/index.ts', 5000);
    const run = canaryRun(root, 'store-service');
    assert.equal(run.build, 'bundle');
    assert.equal(run.nodeOptions, canaryProfile(repoRoot)?.nodeOptions);
  });
});
