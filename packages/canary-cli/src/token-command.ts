import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JWK } from 'jose';
import { signToken } from 'local-runtime/issuer';
import { DEFAULT_MAX_TOKEN_LIFETIME_SECONDS } from 'service-kit';

/** Where `lab up` keeps its token issuer's private key (mode 0600). */
export const issuerKeyFile = (repoRoot: string) => join(repoRoot, '.lab', 'issuer-key.json');

/** A token from the lab's issuer, signed with its key file (no running lab needed). */
export async function labToken(
  repoRoot: string,
  tenant: string,
  options: { user?: string; ttlSeconds?: number } = {},
): Promise<string> {
  const file = issuerKeyFile(repoRoot);
  if (!existsSync(file))
    throw new Error(`no lab issuer key at ${file}: start the lab once (npm start), it creates the key`);
  return signToken(JSON.parse(readFileSync(file, 'utf8')) as JWK, tenant, options);
}

/** `1h`, `30m`, `45s`, `2d` → seconds. */
export function parseTtl(value: string, flag = '--ttl'): number {
  const match = /^([1-9][0-9]*)([smhd])$/.exec(value);
  if (match === null)
    throw new Error(`${flag}: expected a duration like 30m, 1h or 2d, got ${JSON.stringify(value)}`);
  return Number(match[1]) * { s: 1, m: 60, h: 3600, d: 86_400 }[match[2] as 's' | 'm' | 'h' | 'd'];
}

/**
 * `--ttl` of `canary token`: a duration no longer than the services accept. They refuse a
 * token whose `exp - iat` exceeds AUTH_MAX_TOKEN_LIFETIME_SECONDS (24 h unless set), so a
 * longer one would be printed only to be refused at every request.
 */
export function tokenTtl(value: string, maxSeconds = DEFAULT_MAX_TOKEN_LIFETIME_SECONDS): number {
  const seconds = parseTtl(value);
  if (seconds > maxSeconds)
    throw new Error(
      `--ttl: at most ${maxSeconds / 3600}h (the services refuse tokens that live longer: AUTH_MAX_TOKEN_LIFETIME_SECONDS), got ${value}`,
    );
  return seconds;
}

export async function tokenCommand(
  repoRoot: string,
  tenant: string,
  user: string | undefined,
  ttl: string,
): Promise<number> {
  const token = await labToken(repoRoot, tenant, {
    ...(user === undefined ? {} : { user }),
    ttlSeconds: tokenTtl(ttl),
  });
  process.stdout.write(`${token}\n`);
  return 0;
}
