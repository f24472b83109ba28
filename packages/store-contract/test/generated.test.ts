// One proto source: the checked-in TypeScript, descriptor set and Ruby must be exactly what
// the generators make from store.proto today, and the proto must pass buf lint.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { requireTool } from 'test-harness/tools';
import { DESCRIPTOR_SET_FILE } from '../src/files.ts';

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const repoBin = fileURLToPath(new URL('../../../node_modules/.bin', import.meta.url));
const env = { ...process.env, PATH: `${repoBin}:${process.env.PATH ?? ''}` };

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

async function assertSameTree(expectedDir: string, actualDir: string, hint: string) {
  const expected = await listFiles(expectedDir);
  assert.deepEqual(await listFiles(actualDir), expected, `generated file set differs; ${hint}`);
  for (const file of expected) {
    const [want, got] = await Promise.all([
      readFile(join(expectedDir, file), 'utf8'),
      readFile(join(actualDir, file), 'utf8'),
    ]);
    assert.ok(want === got, `${file} is stale; ${hint}`);
  }
}

describe('store.proto', () => {
  it('passes buf lint', async () => {
    await run('buf', ['lint'], { cwd: packageDir, env });
  });

  it('checked-in TypeScript equals a fresh buf generate', async () => {
    const out = await mkdtemp(join(tmpdir(), 'proto-ts-'));
    try {
      await run('buf', ['generate', '--output', out], { cwd: packageDir, env });
      await assertSameTree(
        join(packageDir, 'gen'),
        join(out, 'gen'),
        'run: npm run generate -w store-contract',
      );
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it('checked-in descriptor set equals a fresh buf build', async () => {
    const out = await mkdtemp(join(tmpdir(), 'proto-desc-'));
    try {
      const file = join(out, 'store.binpb');
      await run('buf', ['build', '--as-file-descriptor-set', '-o', file], { cwd: packageDir, env });
      const [want, got] = await Promise.all([readFile(file), readFile(DESCRIPTOR_SET_FILE)]);
      assert.ok(want.equals(got), 'descriptor/store.binpb is stale; run: npm run generate -w store-contract');
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it('checked-in Ruby gem code equals a fresh protoc + grpc_ruby_plugin run', async (t) => {
    const missing = await requireTool(
      'bash',
      [
        '-c',
        'command -v protoc && command -v grpc_ruby_plugin && test -f /usr/include/google/protobuf/timestamp.proto',
      ],
      'protobuf-compiler protobuf-compiler-grpc libprotobuf-dev',
    );
    if (missing) {
      t.skip(missing);
      return;
    }
    const out = await mkdtemp(join(tmpdir(), 'proto-rb-'));
    try {
      await run('bash', [join(packageDir, 'ruby', 'generate.sh'), out], { env });
      await assertSameTree(join(packageDir, 'ruby', 'lib'), out, 'run: npm run generate -w store-contract');
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
