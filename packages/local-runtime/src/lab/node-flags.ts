import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readWorkspaces } from 'service-catalogue';
import { parse } from 'yaml';

/**
 * How the process that holds a lab runs (`canary lab up`: the edge and mesh routers and the
 * supervisor). Under sustained list traffic its RSS rose in steps while its JS heap stayed
 * at 26 MiB, for two reasons outside the routers' code:
 * - V8 sizes the young generation from the machine: it grew to 128 MiB committed (two
 *   64 MiB semi-spaces). The routers' garbage is short-lived; 8 MiB semi-spaces keep it
 *   at 16 MiB.
 * - glibc gives each thread that allocates (V8's GC workers, libuv's pool) a malloc arena
 *   of its own, which it rarely gives back; MALLOC_ARENA_MAX=2 bounds them.
 * V8 reads its flags and glibc its environment only at startup, so the process is started
 * (or re-executes itself) with both.
 */
export const LAB_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8'];
export const LAB_MALLOC_ARENA_MAX = '2';
/** Marks a MALLOC_ARENA_MAX set for the lab process only, not to be passed on to its services. */
const ARENA_MARK = 'CANARY_LAB_MALLOC_ARENA_MAX';

/** The flags of LAB_NODE_FLAGS that a process started with `execArgv` lacks (a value the user chose stays). */
export function missingLabNodeFlags(execArgv: readonly string[]): string[] {
  return LAB_NODE_FLAGS.filter((flag) => {
    const name = flag.split('=')[0] ?? flag;
    return !execArgv.some((arg) => arg === name || arg.startsWith(`${name}=`));
  });
}

/**
 * The environment to start the lab process with: MALLOC_ARENA_MAX unless the user set one,
 * marked as the lab's own; undefined when nothing needs adding.
 */
export function labProcessEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv | undefined {
  if (env.MALLOC_ARENA_MAX !== undefined) return undefined;
  return { ...env, MALLOC_ARENA_MAX: LAB_MALLOC_ARENA_MAX, [ARENA_MARK]: '1' };
}

/** In the lab process, once started: what labProcessEnv added is not passed on to the services it starts. */
export function forgetLabProcessEnv(env: NodeJS.ProcessEnv): void {
  if (env[ARENA_MARK] !== '1') return;
  delete env[ARENA_MARK];
  delete env.MALLOC_ARENA_MAX;
}

/** The canary resource profile the canary layer applies to every PR workload (its patch file). */
export const CANARY_PROFILE_FILE = 'manifests-microservices/canary/profile.yaml';

export interface CanaryProfile {
  /** NODE_OPTIONS of a canary's service container. */
  readonly nodeOptions: string;
  /** resources of a canary's service container (requests and limits as written). */
  readonly resources: {
    readonly requests: Readonly<Record<string, string>>;
    readonly limits: Readonly<Record<string, string>>;
  };
}

/**
 * Reads the canary profile of a checkout: the JSON 6902 operations its patch applies to the
 * PR's Deployment (NODE_OPTIONS, resources). Undefined when the checkout has none.
 */
export function canaryProfile(root: string): CanaryProfile | undefined {
  const file = join(root, CANARY_PROFILE_FILE);
  if (!existsSync(file)) return undefined;
  const outer = parse(readFileSync(file, 'utf8')) as Array<{ value?: Array<{ patch?: string }> }>;
  const ops = outer
    .flatMap((op) => op.value ?? [])
    .flatMap((p) => (parse(p.patch ?? '[]') ?? []) as JsonOp[]);
  const value = (path: string) => ops.find((op) => op.op === 'replace' && op.path === path)?.value;
  const nodeOptions = value('/spec/template/spec/containers/0/env/0/value');
  const resources = value('/spec/template/spec/containers/0/resources') as
    | CanaryProfile['resources']
    | undefined;
  if (typeof nodeOptions !== 'string' || resources?.requests === undefined || resources.limits === undefined)
    throw new Error(`${CANARY_PROFILE_FILE}: no NODE_OPTIONS or resources replaced in its patch`);
  return { nodeOptions, resources };
}

interface JsonOp {
  readonly op: string;
  readonly path: string;
  readonly value?: unknown;
}

/** How the lab runs a PR canary's service: the bundle that ships, when built and current. */
export interface CanaryRun {
  readonly build: 'bundle' | 'sources';
  /** The canary profile's heap flags, for the bundle (the sources need more heap: type stripping). */
  readonly nodeOptions: string | undefined;
  /** Why (for the lab's status). */
  readonly reason: string;
}

/** Newest modification time of the files under `dir` (0 when absent). */
function newest(dir: string): number {
  if (!existsSync(dir)) return 0;
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    latest = Math.max(latest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return latest;
}

/**
 * A PR canary runs its workspace's bundle (`<workspace>/dist/main.js`, what `npm run
 * build` makes and the image runs) with the canary profile's heap flags when the bundle is
 * newer than every source it is built from (the `src/` of the workspace and of the
 * workspace packages it depends on, package-lock.json); otherwise it runs the sources, as
 * stable does.
 */
export function canaryRun(root: string, workspace: string): CanaryRun {
  const bundle = join(root, workspace, 'dist', 'main.js');
  if (!existsSync(bundle))
    return {
      build: 'sources',
      nodeOptions: undefined,
      reason: `no bundle (${workspace}/dist/main.js; npm run build makes it)`,
    };
  const built = statSync(bundle).mtimeMs;
  // The workspace and the workspace packages it runs with (dependencies, transitively).
  const workspaces = readWorkspaces(root);
  const dirs = new Set<string>();
  const visit = (dir: string) => {
    if (dirs.has(dir)) return;
    dirs.add(dir);
    const ws = workspaces.find((w) => w.dir === dir);
    for (const name of ws?.dependsOn ?? []) {
      const dep = workspaces.find((w) => w.name === name);
      if (dep !== undefined) visit(dep.dir);
    }
  };
  visit(workspace);
  const lock = join(root, 'package-lock.json');
  const changed = Math.max(
    ...[...dirs].map((dir) => newest(join(root, dir, 'src'))),
    existsSync(lock) ? statSync(lock).mtimeMs : 0,
  );
  if (changed > built)
    return {
      build: 'sources',
      nodeOptions: undefined,
      reason: `its bundle is older than its sources (npm run build)`,
    };
  return {
    build: 'bundle',
    nodeOptions: canaryProfile(root)?.nodeOptions,
    reason: 'the bundle, with the canary profile',
  };
}
