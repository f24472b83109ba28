// Used by the Dockerfiles: copies the lockfile, the root package.json and every workspace's
// package.json (without devDependencies) from the current directory into DEST. `npm ci
// --omit=dev --workspace <service>` on that tree installs the service's production
// dependencies only: npm still installs the dependencies of a workspace named in another
// workspace's devDependencies (local-runtime for the api's tests, say), so those
// references are removed here, before the install. Plain JavaScript: it runs on the base
// image's node before anything is installed.
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const dest = process.argv[2];
if (!dest) throw new Error('usage: node scripts/prod-manifests.mjs DEST');
mkdirSync(dest, { recursive: true });
cpSync('package.json', join(dest, 'package.json'));
cpSync('package-lock.json', join(dest, 'package-lock.json'));
const walk = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === 'node_modules' || e.name.startsWith('.')) return [];
    const path = join(dir, e.name);
    if (e.isDirectory()) return walk(path);
    return e.name === 'package.json' && dir !== '.' ? [path] : [];
  });
for (const file of walk('.')) {
  const manifest = JSON.parse(readFileSync(file, 'utf8'));
  delete manifest.devDependencies;
  mkdirSync(join(dest, dirname(file)), { recursive: true });
  writeFileSync(join(dest, file), `${JSON.stringify(manifest, null, 2)}\n`);
}
