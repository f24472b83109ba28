// What a Node service's heap flags let it use, against its container's memory limit. One
// place for reading a container's flags and memory and for the arithmetic: `canary verify`
// (rule node-memory-fits) checks the manifests with it, and the benchmark's plateau test
// runs the services with the flags and limits it reads.
import { asArray, at, quantity } from './objects.ts';

const MiB = 2 ** 20;

/**
 * Memory a service uses outside the V8 heap's old and young spaces: the node binary and
 * its code, thread stacks, buffers, and the OpenTelemetry SDK the manifests turn on.
 * Measured (docs/benchmarks.md): a traced service under load sits about this far above
 * its heap.
 */
export const OUTSIDE_HEAP_MIB = 128;

/**
 * The canary resource profile: the canary layer patches every PR workload with its
 * NODE_OPTIONS and resources (so a PR canary's figures come from there, not from its
 * Deployment). The lab and the bench read it too (local-runtime's canaryProfile).
 */
export const CANARY_PROFILE = 'manifests-microservices/canary/profile.yaml';

export interface HeapFlags {
  /** --max-old-space-size, MiB. */
  readonly oldSpaceMiB: number;
  /** --max-semi-space-size, MiB (V8 keeps three of them for the young generation). */
  readonly semiSpaceMiB: number;
}

/** Reads the two heap flags from a NODE_OPTIONS value (V8 accepts - or _ in flag names). */
export function heapFlags(nodeOptions: string | undefined): Partial<HeapFlags> {
  const flag = (name: string): number | undefined => {
    const pattern = new RegExp(`(?:^|\\s)--${name.replaceAll('-', '[-_]')}=(\\d+)(?=\\s|$)`);
    const m = pattern.exec(nodeOptions ?? '');
    return m?.[1] === undefined ? undefined : Number(m[1]);
  };
  const flags: { oldSpaceMiB?: number; semiSpaceMiB?: number } = {};
  const oldSpace = flag('max-old-space-size');
  const semiSpace = flag('max-semi-space-size');
  if (oldSpace !== undefined) flags.oldSpaceMiB = oldSpace;
  if (semiSpace !== undefined) flags.semiSpaceMiB = semiSpace;
  return flags;
}

/** The most a process with these flags may hold before V8 itself stops it, in bytes. */
export function memoryCeiling(flags: HeapFlags): number {
  return (flags.oldSpaceMiB + 3 * flags.semiSpaceMiB + OUTSIDE_HEAP_MIB) * MiB;
}

export interface ContainerMemory {
  /** The container's NODE_OPTIONS value, if it sets one. */
  readonly nodeOptions: string | undefined;
  readonly flags: Partial<HeapFlags>;
  /** resources.limits.memory and resources.requests.memory, in bytes, where set. */
  readonly limit: number | undefined;
  readonly request: number | undefined;
}

/** A container (of a Deployment's pod template) as its heap and memory settings. */
export function containerMemory(container: unknown): ContainerMemory {
  const env = asArray(at(container, 'env')).find((e) => at(e, 'name') === 'NODE_OPTIONS');
  const value = at(env, 'value');
  const nodeOptions = typeof value === 'string' ? value : undefined;
  return {
    nodeOptions,
    flags: heapFlags(nodeOptions),
    limit: quantity(at(container, 'resources', 'limits', 'memory')),
    request: quantity(at(container, 'resources', 'requests', 'memory')),
  };
}
