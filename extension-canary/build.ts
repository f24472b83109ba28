// Builds the extension: src/defaults.ts from the platform settings (the dev host) and from
// canary-context (header names, the PR number rule), TypeScript → dist/*.js (tsc), static
// files, manifest.json with the host permissions (localhost, 127.0.0.1 and the dev host),
// and a zip for the Chrome Web Store. Usage: npm run build -w extension-canary
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CANARY_ECHO_HEADER,
  CANARY_ERROR_HEADER,
  CANARY_HEADER,
  PR_NUMBER,
  SERVED_BY_HEADER,
} from 'canary-context';
import { zipSync } from 'fflate';
import { parse } from 'yaml';

const here = fileURLToPath(new URL('.', import.meta.url));
const dist = join(here, 'dist');
const pkg = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8')) as { version: string };
const platform = parse(
  readFileSync(join(here, '../manifests-microservices/platform/platform.yaml'), 'utf8'),
) as { data: Record<string, string> };
const hosts = ['localhost', '127.0.0.1', platform.data['host-integration-001'] ?? ''].filter(Boolean);

// The default sites come from the same settings as the manifests; the header names and the
// PR number rule from the package the services use (one owner each).
const defaultsSource = [
  '// Written by build.ts from manifests-microservices/platform (the dev host) and canary-context.',
  `export const DEFAULT_HOSTS: readonly string[] = ${JSON.stringify(hosts).replaceAll(',', ', ').replaceAll('"', "'")};`,
  `export const CANARY_HEADER = '${CANARY_HEADER}';`,
  `export const CANARY_ECHO_HEADER = '${CANARY_ECHO_HEADER}';`,
  `export const CANARY_ERROR_HEADER = '${CANARY_ERROR_HEADER}';`,
  `export const SERVED_BY_HEADER = '${SERVED_BY_HEADER}';`,
  `export const PR_NUMBER = ${PR_NUMBER.toString()};`,
  '',
].join('\n');
writeFileSync(join(here, 'src/defaults.ts'), defaultsSource);
rmSync(dist, { recursive: true, force: true });
const tsc = join(here, '../node_modules/.bin/tsc');
execFileSync(tsc, ['-p', join(here, 'tsconfig.json')], { stdio: 'inherit' });
cpSync(join(here, 'static'), dist, { recursive: true });
const manifest = {
  manifest_version: 3,
  name: 'PR canary',
  version: pkg.version,
  description: 'Sends X-Canary: <PR> to chosen sites and shows which versions served each response.',
  permissions: ['declarativeNetRequestWithHostAccess', 'storage', 'webRequest'],
  host_permissions: hosts.flatMap((h) => [`http://${h}/*`, `https://${h}/*`]),
  background: { service_worker: 'background.js', type: 'module' },
  action: { default_popup: 'popup.html', default_title: 'PR canary' },
  options_page: 'options.html',
  minimum_chrome_version: '120',
};
writeFileSync(join(dist, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
const files: Record<string, Uint8Array> = {};
const walk = (dir: string) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else files[relative(dist, path)] = readFileSync(path);
  }
};
walk(dist);
const zip = join(here, `extension-canary-${pkg.version}.zip`);
writeFileSync(zip, zipSync(files, { level: 9 }));
process.stdout.write(
  `extension: built ${Object.keys(files).length} files into ${relative(process.cwd(), dist)}, zip ${relative(process.cwd(), zip)}\n`,
);
