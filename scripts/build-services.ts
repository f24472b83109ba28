// Builds what the images run: each catalogue service (or those named) bundled by esbuild
// into <workspace>/dist/main.js, the telemetry preload into <workspace>/dist/register.js,
// and the descriptor files the bundle reads into <workspace>/descriptor/.
//
//   node scripts/build-services.ts [service ...]
//
// Bundled: the workspaces' own TypeScript and their libraries. External (loaded from
// node_modules at run time): the few libraries that read files of their own package. The
// telemetry preload is a bundle of its own whose SDK chunk loads only when an OTLP
// endpoint is set (it shares the OpenTelemetry API's global registry with the app).
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { loadCatalogue } from 'service-catalogue';

const root = fileURLToPath(new URL('..', import.meta.url));
/** Libraries that read files of their own package at run time (grpc-health-check: its .proto). */
const READS_OWN_FILES = ['grpc-health-check'];
const DESCRIPTORS = ['packages/service-kit/descriptor', 'packages/store-contract/descriptor'];
// CommonJS libraries inside an ES module bundle call require() for Node's built-ins.
const BANNER = "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);";

async function buildService(workspace: string, entry: string): Promise<void> {
  const out = join(root, workspace, 'dist');
  const external = READS_OWN_FILES.flatMap((name) => [name, `${name}/*`]);
  rmSync(out, { recursive: true, force: true });
  const common = {
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    banner: { js: BANNER },
    sourcemap: 'linked',
    // Smaller to parse and hold. Identifiers are not renamed, so functions and classes keep
    // their own names (Fastify and pino read them) without keepNames, whose __name helper
    // redefines the name of every closure as it is created: about 36 µs per api request.
    minifyWhitespace: true,
    minifySyntax: true,
    minifyIdentifiers: false,
    // License comments go to main.js.LEGAL.txt beside the bundle. Left inline, one
    // non-ASCII character in one of them made V8 hold the whole source as two-byte
    // characters (+2.7 MiB of external memory in the api).
    legalComments: 'linked',
    logLevel: 'warning',
    absWorkingDir: root,
  } as const;
  await build({
    ...common,
    entryPoints: [join(root, entry)],
    outfile: join(out, 'main.js'),
    external,
  });
  // The SDK is a chunk of its own, imported only when an OTLP endpoint is set.
  await build({
    ...common,
    entryPoints: { register: join(root, 'packages/service-kit/src/telemetry/register.ts') },
    outdir: out,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    external,
  });
  const descriptorDir = join(root, workspace, 'descriptor');
  mkdirSync(descriptorDir, { recursive: true });
  for (const dir of DESCRIPTORS) {
    for (const file of readdirSync(join(root, dir)))
      copyFileSync(join(root, dir, file), join(descriptorDir, file));
  }
}

const wanted = process.argv.slice(2);
const services = loadCatalogue(root).filter((s) => wanted.length === 0 || wanted.includes(s.name));
const unknown = wanted.filter((name) => !services.some((s) => s.name === name));
if (unknown.length > 0) {
  process.stderr.write(`build-services: not in catalogue.yaml: ${unknown.join(', ')}\n`);
  process.exit(2);
}
for (const service of services) {
  const t0 = performance.now();
  await buildService(service.workspace, service.entry);
  process.stdout.write(
    `build-services: ${service.name} → ${service.workspace}/dist/main.js (${Math.round(performance.now() - t0)} ms)\n`,
  );
}
