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
