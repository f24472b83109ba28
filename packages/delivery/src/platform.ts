import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** The platform settings every workflow uses, from the same file the manifests use. */
export interface Platform {
  readonly githubOwner: string;
  readonly githubRepo: string;
  readonly registry: string;
  readonly hostIntegration: string;
  /** How people on the platform's network reach the guarded internal entrypoint (platform setting internal-url). */
  readonly internalUrl: string;
}

export function readPlatform(repoRoot: string): Platform {
  const file = join(repoRoot, 'manifests-microservices/platform/platform.yaml');
  const data = (parse(readFileSync(file, 'utf8')) as { data?: Record<string, string> }).data ?? {};
  const need = (key: string) => {
    const value = data[key];
    if (value === undefined || value === '') throw new Error(`${file}: data.${key} is missing`);
    return value;
  };
  return {
    githubOwner: need('github-owner'),
    githubRepo: need('github-repo'),
    registry: need('registry'),
    hostIntegration: need('host-integration-001'),
    internalUrl: need('internal-url'),
  };
}
