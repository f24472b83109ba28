// `canary token` prints only tokens the services accept: a --ttl above their maximum token
// lifetime is refused before anything is signed.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { LAB_AUDIENCE, LAB_ISSUER, type LocalIssuer, startIssuer } from 'local-runtime/issuer';
import { DEFAULT_MAX_TOKEN_LIFETIME_SECONDS, tokenVerifier } from 'service-kit';
import { issuerKeyFile, tokenTtl } from '../src/token-command.ts';

const run = promisify(execFile);
const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));

describe('canary token --ttl', () => {
  let repo: string;
  let issuer: LocalIssuer;
  before(async () => {
    repo = await mkdtemp(join(tmpdir(), 'canary-token-'));
    issuer = await startIssuer({ keyFile: issuerKeyFile(repo) });
  });
  after(async () => {
    await issuer?.close();
    if (repo !== undefined) await rm(repo, { recursive: true, force: true });
  });

  it('accepts up to the services’ maximum token lifetime and refuses more', () => {
    assert.equal(DEFAULT_MAX_TOKEN_LIFETIME_SECONDS, 86_400);
    assert.equal(tokenTtl('30m'), 1800);
    assert.equal(tokenTtl('24h'), 86_400);
    assert.equal(tokenTtl('1d'), 86_400);
    assert.throws(() => tokenTtl('25h'), /--ttl: at most 24h .*got 25h/);
    assert.throws(() => tokenTtl('36500d'), /--ttl: at most 24h/);
    assert.throws(() => tokenTtl('2h', 3600), /--ttl: at most 1h/);
  });

  it('prints a token the shared verifier accepts, and none for a --ttl that is too long', async () => {
    const { stdout } = await run(process.execPath, [
      main,
      'token',
      '--tenant',
      'tenant-a',
      '--ttl',
      '24h',
      '--repo',
      repo,
    ]);
    const verify = tokenVerifier({
      issuer: LAB_ISSUER,
      audience: LAB_AUDIENCE,
      keys: issuer.jwksUrl,
      tenantClaim: 'tenant',
      algorithms: ['ES256'],
    });
    assert.deepEqual(await verify(stdout.trim()), { tenantId: 'tenant-a', userId: 'developer' });
    await assert.rejects(
      run(process.execPath, [main, 'token', '--tenant', 'tenant-a', '--ttl', '48h', '--repo', repo]),
      (err: { code: number; stdout: string; stderr: string }) => {
        assert.notEqual(err.code, 0);
        assert.equal(err.stdout, '', 'no token printed');
        assert.match(err.stderr, /--ttl: at most 24h/);
        return true;
      },
    );
  });
});
