#!/usr/bin/env node
// The CLI is TypeScript run by Node's type stripping (Node >= 22.18). Under an older node
// (what `npx canary` finds first on many machines) it re-runs itself with the project's
// Node through scripts/run.sh, which `npm start` and `npm test` use too (it brings Node 24
// into .tools/ when needed).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major > 22 || (major === 22 && minor >= 18)) {
  await import('../src/main.ts');
} else {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
  const result = spawnSync('bash', [`${root}scripts/run.sh`, 'node', main, ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  if (result.error) {
    process.stderr.write(
      `canary: needs Node 22.18 or newer (this is ${process.version}); scripts/run.sh failed: ${result.error.message}\n`,
    );
    process.exitCode = 1;
  } else {
    process.exitCode = result.status ?? 1;
  }
}
