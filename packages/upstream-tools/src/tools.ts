import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { findGo, goEnvironment } from './go.ts';

const run = promisify(execFile);

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** One small Go module per upstream program (their `replace` directives would conflict in one). */
export const GO_MODULES = fileURLToPath(new URL('../go/', import.meta.url));
export const TOOLS_BIN = join(REPO_ROOT, '.tools', 'bin');

export interface ToolSpec {
  readonly name: string;
  /** The wrapper module under go/ that pins it. */
  readonly wrapper: string;
  /** The upstream module whose version go.mod pins. */
  readonly module: string;
  /** The main package to build. */
  readonly pkg: string;
  /** Version-stamping flags, as the upstream release build sets them. */
  readonly ldflags: (version: string) => string[];
}

const kubeVersionFlags = (version: string): string[] => {
  const [major = '1', minor = '0'] = version.replace(/^v/, '').split('.');
  return [
    `-X k8s.io/component-base/version.gitVersion=${version}`,
    `-X k8s.io/component-base/version.gitMajor=${major}`,
    `-X k8s.io/component-base/version.gitMinor=${minor}`,
    '-X k8s.io/component-base/version.gitTreeState=clean',
  ];
};

export const TOOLS = {
  'kube-apiserver': {
    name: 'kube-apiserver',
    wrapper: 'kube',
    module: 'k8s.io/kubernetes',
    pkg: 'k8s.io/kubernetes/cmd/kube-apiserver',
    ldflags: kubeVersionFlags,
  },
  'kube-controller-manager': {
    name: 'kube-controller-manager',
    wrapper: 'kube',
    module: 'k8s.io/kubernetes',
    pkg: 'k8s.io/kubernetes/cmd/kube-controller-manager',
    ldflags: kubeVersionFlags,
  },
  etcd: {
    name: 'etcd',
    wrapper: 'etcd',
    module: 'go.etcd.io/etcd/server/v3',
    pkg: 'go.etcd.io/etcd/server/v3',
    ldflags: () => [],
  },
  kustomize: {
    name: 'kustomize',
    wrapper: 'kustomize',
    module: 'sigs.k8s.io/kustomize/kustomize/v5',
    pkg: 'sigs.k8s.io/kustomize/kustomize/v5',
    ldflags: (version) => [`-X sigs.k8s.io/kustomize/api/provenance.version=kustomize/${version}`],
  },
  traefik: {
    name: 'traefik',
    wrapper: 'traefik',
    module: 'github.com/traefik/traefik/v3',
    pkg: 'github.com/traefik/traefik/v3/cmd/traefik',
    ldflags: (version) => [`-X github.com/traefik/traefik/v3/pkg/version.Version=${version}`],
  },
  argocd: {
    name: 'argocd',
    wrapper: 'argocd',
    module: 'github.com/argoproj/argo-cd/v3',
    pkg: 'github.com/argoproj/argo-cd/v3/cmd',
    ldflags: (version) => [`-X github.com/argoproj/argo-cd/v3/common.version=${version.replace(/^v/, '')}`],
  },
  grpcurl: {
    name: 'grpcurl',
    wrapper: 'grpcurl',
    module: 'github.com/fullstorydev/grpcurl',
    pkg: 'github.com/fullstorydev/grpcurl/cmd/grpcurl',
    ldflags: (version) => [`-X main.version=${version}`],
  },
} as const satisfies Record<string, ToolSpec>;

export type ToolName = keyof typeof TOOLS;
export const TOOL_NAMES = Object.keys(TOOLS) as ToolName[];

/** The version of `module` that a wrapper's go.mod requires. */
export function pinnedVersion(spec: ToolSpec): string {
  const goMod = readFileSync(join(GO_MODULES, spec.wrapper, 'go.mod'), 'utf8');
  const escaped = spec.module.replace(/[.]/g, '\\.');
  const m = new RegExp(`^\\s*(?:require\\s+)?${escaped}\\s+(v[^\\s]+)`, 'm').exec(goMod);
  if (m?.[1] === undefined) throw new Error(`go/${spec.wrapper}/go.mod does not require ${spec.module}`);
  return m[1];
}

/** What a built binary was built from: a change of pin, go.sum or flags builds it again. */
function stampOf(spec: ToolSpec, version: string): string {
  const hash = createHash('sha256');
  for (const file of ['go.mod', 'go.sum']) hash.update(readFileSync(join(GO_MODULES, spec.wrapper, file)));
  hash.update(spec.ldflags(version).join(' '));
  return `${spec.pkg}@${version} ${hash.digest('hex').slice(0, 16)}\n`;
}

export interface BuiltTool {
  readonly name: ToolName;
  readonly path: string;
  readonly version: string;
  /** Seconds spent building, 0 when the cached binary was current. */
  readonly buildSeconds: number;
}

const formatDuration = (ms: number): string => {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
};

/**
 * The path of an upstream program, built from its pinned module into .tools/bin on first
 * use (and again when the pin changes). Prints progress lines to `progress` while building:
 * a cold build of kube-apiserver takes minutes on two cores.
 */
export async function ensureTool(
  name: ToolName,
  progress: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<BuiltTool> {
  const spec: ToolSpec = TOOLS[name];
  const version = pinnedVersion(spec);
  const path = join(TOOLS_BIN, name);
  const stampFile = `${path}.stamp`;
  const stamp = stampOf(spec, version);
  // A binary built from the same pins is used as it is (Go is needed only to build).
  if (existsSync(path) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp)
    return { name, path, version, buildSeconds: 0 };
  const go = await findGo();
  const env = goEnvironment();
  const { stdout: goVersion } = await run(go, ['env', 'GOVERSION'], { env });

  await mkdir(TOOLS_BIN, { recursive: true });
  const started = Date.now();
  progress(
    `tools: building ${name} ${version} from ${spec.module} with ${goVersion.trim()} (the first build takes minutes) ...`,
  );
  const heartbeat = setInterval(
    () => progress(`tools: still building ${name} (${formatDuration(Date.now() - started)}) ...`),
    30_000,
  );
  const partial = `${path}.partial`;
  try {
    await run(
      go,
      [
        'build',
        '-trimpath',
        '-ldflags',
        ['-s', '-w', ...spec.ldflags(version)].join(' '),
        '-o',
        partial,
        spec.pkg,
      ],
      { cwd: join(GO_MODULES, spec.wrapper), env, timeout: 40 * 60_000, maxBuffer: 16 << 20 },
    );
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    await rm(partial, { force: true });
    throw new Error(
      `tools: building ${name} ${version} failed (go build ${spec.pkg} in packages/upstream-tools/go/${spec.wrapper}):\n${stderr.trim().split('\n').slice(-15).join('\n')}`,
    );
  } finally {
    clearInterval(heartbeat);
  }
  await rename(partial, path);
  await writeFile(stampFile, stamp);
  const elapsed = Date.now() - started;
  progress(`tools: built ${name} ${version} in ${formatDuration(elapsed)}`);
  return { name, path, version, buildSeconds: elapsed / 1000 };
}
