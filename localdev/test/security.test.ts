// No secrets in the repository, the images or the manifests.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { repoRoot } from 'local-runtime/paths';

const SECRETS: Array<[string, RegExp]> = [
  ['AWS access key id', /\b(AKIA|ASIA)[0-9A-Z]{16}\b/],
  ['AWS secret access key', /aws_secret_access_key\s*[:=]\s*['"]?[A-Za-z0-9/+]{40}/i],
  ['private key', /-----BEGIN (RSA |EC |OPENSSH |DSA )?PRIVATE KEY-----/],
  ['GitHub token', /\b(ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b|\bgithub_pat_[A-Za-z0-9_]{60,}/],
  ['Slack token', /\bxox[abposr]-[A-Za-z0-9-]{10,}/],
  ['password assignment', /\b(password|passwd|secret)\s*[:=]\s*['"][^'"\s$]{8,}['"]/i],
];

export function findSecrets(text: string): string[] {
  return SECRETS.filter(([, pattern]) => pattern.test(text)).map(([name]) => name);
}

describe('secret scan', () => {
  it('the scanner recognises each kind it looks for', () => {
    const samples = [
      'key: AKIAABCDEFGHIJKLMNOP',
      'aws_secret_access_key = wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEYab',
      '-----BEGIN RSA PRIVATE KEY-----',
      `token: ghp_${'a'.repeat(36)}`,
      'xoxb-123456789012-abcdef',
      'password: "hunter2hunter2"',
    ];
    assert.deepEqual(
      samples.map((s) => findSecrets(s).length),
      [1, 1, 1, 1, 1, 1],
    );
    assert.deepEqual(findSecrets("accessKeyId: 'local', secretAccessKey: 'local'"), []);
  });

  it('finds none in any tracked or new file (sources, manifests, Dockerfiles, workflows, docs)', async () => {
    const { stdout } = await promisify(execFile)(
      'git',
      ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
      { cwd: repoRoot, maxBuffer: 32 * 1024 * 1024 },
    );
    const files = stdout
      .split('\0')
      .filter((f) => f !== '' && !/\.(png|zip|lock)$|package-lock\.json$/.test(f));
    assert.ok(files.length > 150, `${files.length} files scanned`);
    const hits: string[] = [];
    for (const file of files) {
      if (file === 'localdev/test/security.test.ts') continue; // the samples above
      let text: string;
      try {
        text = readFileSync(join(repoRoot, file), 'utf8');
      } catch {
        continue;
      }
      for (const kind of findSecrets(text)) hits.push(`${file}: ${kind}`);
    }
    assert.deepEqual(hits, []);
  });

  it('images get no credentials: no ENV or ARG with secrets in the Dockerfiles', () => {
    for (const file of ['api-service/Dockerfile', 'store-service/Dockerfile']) {
      const text = readFileSync(join(repoRoot, file), 'utf8');
      assert.doesNotMatch(text, /^(ENV|ARG)\s+\S*(KEY|SECRET|TOKEN|PASSWORD)/im, file);
    }
  });
});
