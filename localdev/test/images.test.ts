// No container engine runs here, so the images are assembled from their Dockerfiles by an
// interpreter and started with the image's own ENTRYPOINT: production dependencies only,
// sources as copied, signals handled by node as PID 1 of the process tree.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { type EmbeddedDynamo, startEmbeddedDynamo } from 'local-runtime/dynalite';
import { repoRoot } from 'local-runtime/paths';
import { LOCAL, TRUST_HEADERS } from 'local-runtime/services';
import { type EmulatedImage, emulateDockerfile } from 'test-harness/dockerfile';

function start(image: EmulatedImage, env: Record<string, string>) {
  const [command, ...args] = image.entrypoint;
  assert.equal(command, 'node');
  // The bundle and its telemetry preload, built in the image by scripts/build-services.ts.
  assert.match(args[1] ?? '', /^\.\/(api|store)-service\/dist\/register\.js$/);
  assert.match(args[2] ?? '', /^(api|store)-service\/dist\/main\.js$/);
  const child = spawn(process.execPath, args, {
    cwd: image.workdir,
    env: { PATH: process.env.PATH ?? '', ...image.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ready = new Promise<Record<string, number>>((resolve, reject) => {
    const lines: string[] = [];
    const onLine = (line: string) => {
      lines.push(line);
      if (line.includes('"event":"ready"')) resolve(JSON.parse(line) as Record<string, number>);
    };
    if (child.stdout) createInterface({ input: child.stdout }).on('line', onLine);
    if (child.stderr) createInterface({ input: child.stderr }).on('line', onLine);
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${lines.slice(-12).join('\n')}`)));
  });
  return { child, ready };
}

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => child.once('exit', resolve));

describe('container images (Dockerfiles emulated)', () => {
  const images: Partial<Record<'api' | 'store', EmulatedImage>> = {};
  let dynamo: EmbeddedDynamo;
  before(async () => {
    [images.store, images.api] = await Promise.all([
      emulateDockerfile(join(repoRoot, 'store-service/Dockerfile'), repoRoot, {
        APP_VERSION: 'pr-7-0a1b2c3d',
      }),
      emulateDockerfile(join(repoRoot, 'api-service/Dockerfile'), repoRoot, { APP_VERSION: 'v1.2.3' }),
    ]);
    dynamo = await startEmbeddedDynamo();
  });
  after(async () => {
    await images.store?.remove();
    await images.api?.remove();
    await dynamo?.close();
  });

  it('hold production dependencies only, no tests, and run as a non-root user', () => {
    for (const image of [images.store, images.api]) {
      assert.ok(image);
      const modules = join(image.workdir, 'node_modules');
      assert.ok(existsSync(join(modules, '@grpc/grpc-js')), 'runtime dependency present');
      for (const dev of ['typescript', '@biomejs/biome', 'ts-proto', '@bufbuild/buf', 'dynalite']) {
        assert.ok(!existsSync(join(modules, dev)), `${dev} must not be in the image`);
      }
      assert.ok(
        !existsSync(join(image.workdir, 'packages/canary-context/src/key.test.ts')),
        'tests are not copied',
      );
      assert.equal(image.user, '10001:10001');
      assert.equal(image.env.NODE_ENV, 'production');
    }
    // The tag CI builds is the version the service reports (the manifests never set it).
    assert.equal(images.store?.env.APP_VERSION, 'pr-7-0a1b2c3d');
    assert.equal(images.api?.env.APP_VERSION, 'v1.2.3');
    assert.ok(
      existsSync(join(images.store?.workdir ?? '', 'store-service/descriptor/store.binpb')),
      'reflection serves the descriptor set',
    );
    for (const [image, service] of [
      [images.store, 'store-service'],
      [images.api, 'api-service'],
    ] as const) {
      assert.ok(existsSync(join(image?.workdir ?? '', `${service}/dist/main.js`)), `${service} bundle`);
      assert.ok(
        !existsSync(join(image?.workdir ?? '', `${service}/src`)),
        `${service}: no TypeScript sources`,
      );
      assert.ok(
        !existsSync(join(image?.workdir ?? '', 'node_modules/esbuild')),
        'esbuild stays in the build stage',
      );
    }
  });

  it('start with their ENTRYPOINT, serve a request across both, and drain on SIGTERM', async () => {
    assert.ok(images.store && images.api);
    // No token issuer here: both trust the caller's tenant (the developer-only switch).
    const store = start(images.store, {
      ...LOCAL,
      ...TRUST_HEADERS,
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      DYNAMODB_CREATE_TABLE: 'true',
    });
    const storeReady = await store.ready;
    const api = start(images.api, {
      ...LOCAL,
      ...TRUST_HEADERS,
      STORE_ADDRESS: `127.0.0.1:${storeReady.port}`,
    });
    const apiReady = await api.ready;
    const response = await fetch(`http://127.0.0.1:${apiReady.port}/v1/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-tenant-id': 'image' },
      body: JSON.stringify({ name: 'From the image', price_cents: 1, category: 'other' }),
    });
    assert.equal(response.status, 201);
    for (const child of [api.child, store.child]) {
      const done = exited(child);
      child.kill('SIGTERM');
      assert.equal(await done, 0);
    }
  });
});
