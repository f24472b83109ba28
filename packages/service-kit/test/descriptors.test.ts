// The health and reflection descriptor sets that reflection serves are exactly what
// generate.sh makes from the npm packages' protos today.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { HEALTH_DESCRIPTOR_SET, REFLECTION_DESCRIPTOR_SET } from '../src/descriptors.ts';

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const repoBin = fileURLToPath(new URL('../../../node_modules/.bin', import.meta.url));

describe('gRPC descriptor sets', () => {
  it('equal a fresh generate.sh run', async () => {
    const out = await mkdtemp(join(tmpdir(), 'kit-descriptors-'));
    try {
      await run('bash', [join(packageDir, 'generate.sh'), out], {
        env: { ...process.env, PATH: `${repoBin}:${process.env.PATH ?? ''}` },
      });
      for (const [file, name] of [
        [HEALTH_DESCRIPTOR_SET, 'grpc-health.binpb'],
        [REFLECTION_DESCRIPTOR_SET, 'grpc-reflection.binpb'],
      ] as const) {
        const [want, got] = await Promise.all([readFile(join(out, name)), readFile(file)]);
        assert.ok(want.equals(got), `${name} is stale; run: npm run generate -w service-kit`);
      }
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
