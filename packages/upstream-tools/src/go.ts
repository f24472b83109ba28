import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The oldest Go that builds every pinned module (k8s.io/kubernetes v1.36 says `go 1.26.0`). */
export const MINIMUM_GO = [1, 26] as const;
const FALLBACK_GO = '/usr/local/go/bin/go';

export class MissingGoError extends Error {
  override name = 'MissingGoError';
}

/**
 * The environment every go command runs with: the machine's own toolchain (never a
 * download), module mode with the committed go.sum, and the user's caches (a second run
 * on the same machine reuses the module and build caches).
 */
export function goEnvironment(): NodeJS.ProcessEnv {
  return { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=readonly', CGO_ENABLED: '0' };
}

/**
 * Finds a Go toolchain of at least MINIMUM_GO, or throws one message that says what to
 * install. `GO` in the environment names the one to use (and only that one).
 */
export async function findGo(): Promise<string> {
  const chosen = process.env.GO;
  const candidates =
    chosen !== undefined && chosen !== ''
      ? [chosen]
      : ['go', ...(existsSync(FALLBACK_GO) ? [FALLBACK_GO] : [])];
  const seen: string[] = [];
  for (const go of candidates) {
    try {
      const { stdout } = await run(go, ['env', 'GOVERSION'], { env: goEnvironment(), timeout: 30_000 });
      const version = stdout.trim();
      const m = /^go(\d+)\.(\d+)/.exec(version);
      if (
        m !== null &&
        (Number(m[1]) > MINIMUM_GO[0] || (Number(m[1]) === MINIMUM_GO[0] && Number(m[2]) >= MINIMUM_GO[1]))
      )
        return go;
      seen.push(`${go} is ${version}`);
    } catch {
      // not on PATH or not runnable: try the next candidate
    }
  }
  throw new MissingGoError(
    `Go ${MINIMUM_GO.join('.')} or newer is needed to build the upstream programs (kube-apiserver, etcd, kustomize …) from their Go modules, ` +
      `and ${seen.length === 0 ? `no go command was found (${chosen !== undefined && chosen !== '' ? `GO=${chosen}` : 'PATH, /usr/local/go/bin'})` : `${seen.join(', ')}`}. ` +
      'Install Go 1.26+ so that `go` is on PATH (or at /usr/local/go/bin/go), then run `npm run tools`. ' +
      'Static `canary verify` and the lab do not need it.',
  );
}

/** Where the module cache holds `module@version` (downloaded through the module proxy when missing). */
export async function moduleDir(go: string, module: string, version: string): Promise<string> {
  const { stdout } = await run(go, ['mod', 'download', '-json', `${module}@${version}`], {
    env: { ...goEnvironment(), GOFLAGS: '-mod=mod' },
    timeout: 600_000,
    maxBuffer: 1 << 20,
  }).catch((err: Error & { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
  const info = JSON.parse(stdout === '' ? '{}' : stdout) as { Dir?: string; Error?: string };
  if (info.Dir === undefined)
    throw new Error(
      `go mod download ${module}@${version} failed: ${info.Error ?? 'no answer from the module proxy'}`,
    );
  return info.Dir;
}

/**
 * For tests: false when Go is there, otherwise the reason to skip. Under CI=true a missing
 * Go is an error, never a skip: CI installs what the tests need.
 */
export async function goSkipReason(): Promise<false | string> {
  try {
    await findGo();
    return false;
  } catch (err) {
    if (process.env.CI === 'true' || !(err instanceof MissingGoError)) throw err;
    return err.message;
  }
}
