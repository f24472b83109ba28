import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isPrNumber } from 'canary-context';
import { parse } from 'yaml';
import { z } from 'zod';

/** The catalogue's place in a checkout (Argo CD's git files generator reads the same path). */
export const CATALOGUE_FILE = 'catalogue.yaml';

const k8sName = z
  .string()
  .regex(/^[a-z]([-a-z0-9]{0,40}[a-z0-9])?$/, 'must be a lower-case DNS label of at most 42 characters');
const port = z.number().int().min(1).max(65535);

const entrySchema = z
  .object({
    name: k8sName,
    description: z.string().min(1),
    protocol: z.enum(['http', 'grpc']),
    exposure: z.enum(['edge', 'mesh']),
    port,
    metricsPort: port,
    namespacePrefix: z.string().regex(/^[a-z][a-z0-9]{0,19}$/, 'must be 1-20 lower-case letters or digits'),
    label: z.string().regex(/^canary:[a-z][-a-z0-9]*$/, 'must be canary:<name>'),
    image: z.string().regex(/^[a-z0-9][a-z0-9._/-]*$/),
    workspace: z.string().min(1),
    entry: z.string().regex(/\.ts$/, 'must be a .ts entry point'),
    grpcService: z
      .string()
      .regex(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*\.[A-Z][A-Za-z0-9]*$/, 'must be a fully qualified gRPC service')
      .nullable(),
    health: z.strictObject({ liveness: z.string(), readiness: z.string().min(1) }),
    downstreams: z.array(
      z.strictObject({ service: k8sName, env: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'must be an env name') }),
    ),
    aws: z.boolean(),
    data: z.strictObject({ table: z.string().regex(/^[A-Za-z0-9_.-]{3,200}$/) }).nullable(),
  })
  .strict();

/** One service as the catalogue describes it. */
export type ServiceEntry = Readonly<z.infer<typeof entrySchema>>;

export class CatalogueError extends Error {
  override name = 'CatalogueError';
}

/** Validates parsed catalogue data: every problem at once, each naming the entry and field. */
export function parseCatalogue(data: unknown, where = CATALOGUE_FILE): readonly ServiceEntry[] {
  const result = z.array(entrySchema).min(1).safeParse(data);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const [index, ...rest] = issue.path;
      const name =
        typeof index === 'number' && Array.isArray(data)
          ? String((data[index] as { name?: unknown } | undefined)?.name ?? `entry ${index + 1}`)
          : 'catalogue';
      return `  ${name}${rest.length > 0 ? `.${rest.join('.')}` : ''}: ${issue.message}`;
    });
    throw new CatalogueError(`${where}: invalid service catalogue:\n${lines.join('\n')}`);
  }
  const entries = result.data;
  const problems: string[] = [];
  const names = new Set<string>();
  for (const entry of entries) {
    const at = (field: string, problem: string) => problems.push(`  ${entry.name}.${field}: ${problem}`);
    if (names.has(entry.name)) at('name', 'appears twice');
    names.add(entry.name);
    if (entry.label !== `canary:${entry.name}`) at('label', `must be canary:${entry.name}`);
    if (entry.protocol === 'grpc' && entry.grpcService === null) at('grpcService', 'required for grpc');
    if (entry.protocol === 'http' && entry.grpcService !== null) at('grpcService', 'must be null for http');
    if (entry.exposure === 'mesh' && entry.protocol !== 'grpc')
      at('exposure', 'mesh routing (GRPCRoute) needs protocol grpc');
    if (entry.protocol === 'http' && !entry.health.liveness.startsWith('/'))
      at('health.liveness', 'must be an HTTP path for an http service');
    if (entry.health.liveness === entry.health.readiness)
      at('health', 'liveness and readiness must differ (liveness never checks downstreams)');
    if (entry.port === entry.metricsPort) at('metricsPort', 'must differ from port');
  }
  const prefixes = entries.map((e) => e.namespacePrefix);
  for (const entry of entries) {
    if (prefixes.filter((p) => p === entry.namespacePrefix).length > 1)
      problems.push(`  ${entry.name}.namespacePrefix: ${entry.namespacePrefix} is used twice`);
    for (const down of entry.downstreams) {
      const target = entries.find((e) => e.name === down.service);
      if (target === undefined)
        problems.push(`  ${entry.name}.downstreams: ${down.service} is not in the catalogue`);
      else if (target.exposure !== 'mesh')
        problems.push(`  ${entry.name}.downstreams: ${down.service} is not reached through the mesh`);
    }
  }
  if (problems.length > 0)
    throw new CatalogueError(`${where}: invalid service catalogue:\n${[...new Set(problems)].join('\n')}`);
  return Object.freeze(entries.map((e) => Object.freeze(e)));
}

/** Reads and validates `catalogue.yaml` of a checkout. */
export function loadCatalogue(repoRoot: string): readonly ServiceEntry[] {
  const file = join(repoRoot, CATALOGUE_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new CatalogueError(`${file}: not found (the service catalogue)`);
  }
  return parseCatalogue(parse(text) as unknown, file);
}

/** The entry of a service; a clear error naming the known ones otherwise. */
export function serviceOf(catalogue: readonly ServiceEntry[], name: string): ServiceEntry {
  const entry = catalogue.find((e) => e.name === name);
  if (entry === undefined)
    throw new CatalogueError(`unknown service ${name} (known: ${catalogue.map((e) => e.name).join(', ')})`);
  return entry;
}

/** The namespace shared by every stable service. */
export const STABLE_NAMESPACE = 'apps';
/** The tracks (`stable`, `pr-<N>`) are canary-context's: re-exported for the catalogue's users. */
export { canaryTrack, STABLE_TRACK } from 'canary-context';

function prString(pr: number | string): string {
  const value = String(pr);
  if (!isPrNumber(value)) throw new CatalogueError(`not a PR number: ${JSON.stringify(value)}`);
  return value;
}

// The one definition of a canary namespace's shape: <namespacePrefix>-canary-pr-<N>.
const CANARY_INFIX = '-canary-pr-';

/** Namespace of PR `pr`'s canary of a service: `<namespacePrefix>-canary-pr-<N>`. */
export function canaryNamespace(entry: Pick<ServiceEntry, 'namespacePrefix'>, pr: number | string): string {
  return `${entry.namespacePrefix}${CANARY_INFIX}${prString(pr)}`;
}

/** The PR number of a canary namespace, or undefined when it is not one. */
export function prOfNamespace(namespace: string): string | undefined {
  const at = namespace.lastIndexOf(CANARY_INFIX);
  const prefix = namespace.slice(0, Math.max(at, 0));
  const pr =
    at > 0 && /^[a-z][a-z0-9]*$/.test(prefix) ? namespace.slice(at + CANARY_INFIX.length) : undefined;
  return pr !== undefined && isPrNumber(pr) ? pr : undefined;
}

/** Glob of every canary namespace (AppProject destinations). */
export const CANARY_NAMESPACE_GLOB = `*${CANARY_INFIX}*`;

/** The address a caller inside the cluster uses for a service: its stable Service, which the mesh routes. */
export function clusterAddress(entry: Pick<ServiceEntry, 'name' | 'port'>): string {
  return `${entry.name}.${STABLE_NAMESPACE}.svc.cluster.local:${entry.port}`;
}

/**
 * The catalogue's services in an order where every service comes after the services it
 * calls (start order; stop in reverse). Throws on a call cycle.
 */
export function startOrder(catalogue: readonly ServiceEntry[]): ServiceEntry[] {
  const ordered: ServiceEntry[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (entry: ServiceEntry, path: readonly string[]) => {
    if (state.get(entry.name) === 'done') return;
    if (state.get(entry.name) === 'visiting')
      throw new CatalogueError(`downstreams form a cycle: ${[...path, entry.name].join(' → ')}`);
    state.set(entry.name, 'visiting');
    for (const down of entry.downstreams) visit(serviceOf(catalogue, down.service), [...path, entry.name]);
    state.set(entry.name, 'done');
    ordered.push(entry);
  };
  for (const entry of catalogue) visit(entry, []);
  return ordered;
}

/** PR `pr`'s own table of a service with data, under label canary:isolated-data: `<table>-pr-<N>`. */
export function isolatedTable(table: string, pr: number | string): string {
  return `${table}-pr-${prString(pr)}`;
}

export { readWorkspaces, type Workspace } from './workspaces.ts';
