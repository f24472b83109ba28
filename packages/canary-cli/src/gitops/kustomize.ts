import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, normalize, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ensureTool, MissingGoError } from 'upstream-tools';
import { type Document, parse, parseAllDocuments, parseDocument } from 'yaml';
import { isK8sObject, type K8sObject, type RenderedObject } from './objects.ts';

const run = promisify(execFile);
const ORIGIN = 'config.kubernetes.io/origin';
const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

export class KustomizeError extends Error {
  override name = 'KustomizeError';
}

/** How manifests are built: `kubectl kustomize`, or the kustomize built from its Go module. */
export interface Kustomizer {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
}

let resolving: Promise<Kustomizer> | undefined;

async function resolveKustomizer(): Promise<Kustomizer> {
  try {
    await run('kubectl', ['version', '--client=true', '--output=json'], { timeout: 20_000 });
    return { name: 'kubectl kustomize', command: 'kubectl', args: ['kustomize'] };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new KustomizeError(`kubectl does not run: ${(err as Error).message.split('\n')[0]}`);
  }
  // No kubectl: the kustomize that `npm run tools` builds from sigs.k8s.io/kustomize (Go needed once).
  try {
    const tool = await ensureTool('kustomize', (line) => process.stderr.write(`${line}\n`));
    return { name: `kustomize ${tool.version}`, command: tool.path, args: ['build'] };
  } catch (err) {
    throw new KustomizeError(
      err instanceof MissingGoError
        ? 'neither kubectl nor kustomize is available: rendering builds manifests with `kubectl kustomize` (kubectl >= 1.27), ' +
            'or with kustomize built from its Go module (needs Go 1.26+, once). Install kubectl, or Go and run `npm run tools`, then retry.'
        : (err as Error).message,
    );
  }
}

/** The kustomize to build with (resolved once per process); fails with what to install when there is none. */
export function kustomizer(): Promise<Kustomizer> {
  resolving ??= resolveKustomizer();
  resolving.catch(() => {
    resolving = undefined;
  });
  return resolving;
}

/** Fails with an actionable message when neither kubectl nor a buildable kustomize is there. */
export async function checkKubectl(): Promise<void> {
  await kustomizer();
}

const kustomizationIn = (dir: string) =>
  KUSTOMIZATION_FILES.map((f) => join(dir, f)).find((f) => existsSync(f));

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

/**
 * Every file a kustomization reads (its own file, resources, components, patch and
 * generator files, recursively), relative to `root`; undefined when it uses something this
 * walker does not know (then the whole tree is copied, as before).
 */
function dependencies(
  root: string,
  dir: string,
  text: string,
  seen = new Set<string>(),
): Set<string> | undefined {
  const file = kustomizationIn(dir);
  if (file !== undefined) seen.add(relative(root, file));
  const doc = parse(text) as Record<string, unknown> | null;
  if (doc === null || typeof doc !== 'object') return seen;
  if (['helmCharts', 'openapi', 'transformers', 'generators', 'validators', 'crds'].some((k) => k in doc))
    return undefined;
  const files: string[] = [];
  const dirs: string[] = [];
  for (const entry of [...strings(doc.resources), ...strings(doc.bases)]) {
    if (/^[a-z]+:\/\//.test(entry)) return undefined;
    const full = resolve(dir, entry);
    if (existsSync(full) && statSync(full).isDirectory()) dirs.push(full);
    else files.push(full);
  }
  for (const entry of strings(doc.components)) dirs.push(resolve(dir, entry));
  for (const entry of strings(doc.patchesStrategicMerge)) files.push(resolve(dir, entry));
  for (const list of [doc.patches, doc.patchesJson6902, doc.replacements]) {
    if (!Array.isArray(list)) continue;
    for (const p of list)
      if (typeof p === 'object' && p !== null && typeof (p as { path?: unknown }).path === 'string')
        files.push(resolve(dir, (p as { path: string }).path));
  }
  for (const generator of [
    ...(Array.isArray(doc.configMapGenerator) ? doc.configMapGenerator : []),
    ...(Array.isArray(doc.secretGenerator) ? doc.secretGenerator : []),
  ]) {
    const g = generator as Record<string, unknown>;
    for (const f of strings(g.files))
      files.push(resolve(dir, f.includes('=') ? (f.split('=', 2)[1] ?? f) : f));
    for (const f of [...strings(g.envs), ...(typeof g.env === 'string' ? [g.env] : [])])
      files.push(resolve(dir, f));
  }
  for (const f of files) seen.add(relative(root, f));
  for (const d of dirs) {
    const rel = relative(root, d);
    if (seen.has(`${rel}/`)) continue;
    seen.add(`${rel}/`);
    const k = kustomizationIn(d);
    if (k === undefined) return undefined;
    if (dependencies(root, d, readFileSync(k, 'utf8'), seen) === undefined) return undefined;
  }
  return seen;
}

/** Results by the content of everything a build reads (kubectl kustomize is deterministic). */
const cache = new Map<string, { object: K8sObject; file: string }[]>();

/**
 * Builds `relDir` (relative to `repoRoot`) with `kubectl kustomize` from a private copy of
 * the files it reads, after `edit` changed its kustomization.yaml (as Argo CD does for an
 * Application's kustomize options). Every object comes back with the repository file that
 * defines it (kustomize origin annotations, removed from the object). Identical inputs are
 * built once per process.
 */
export async function buildKustomization(
  repoRoot: string,
  relDir: string,
  edit?: (kustomization: Document) => void,
): Promise<RenderedObject[]> {
  const source = join(repoRoot, relDir);
  const file = kustomizationIn(source);
  if (file === undefined) throw new KustomizeError(`${relDir}: no kustomization.yaml`);
  const doc = parseDocument(readFileSync(file, 'utf8'));
  if (doc.errors.length > 0)
    throw new KustomizeError(`${relative(repoRoot, file)}: ${doc.errors[0]?.message.split('\n')[0]}`);
  edit?.(doc);
  doc.set('buildMetadata', ['originAnnotations']);
  const text = doc.toString();
  const deps = dependencies(normalize(repoRoot), source, text);
  const hash = createHash('sha256').update(relDir).update('\0').update(text);
  for (const dep of [...(deps ?? [])].sort()) {
    hash.update(`\0${dep}\0`);
    if (!dep.endsWith('/')) {
      try {
        hash.update(readFileSync(join(repoRoot, dep)));
      } catch {
        hash.update('<missing>');
      }
    }
  }
  const key = deps === undefined ? undefined : hash.digest('hex');
  const cached = key === undefined ? undefined : cache.get(key);
  if (cached !== undefined) return structuredClone(cached);

  const work = await mkdtemp(join(tmpdir(), 'canary-render-'));
  try {
    if (deps === undefined) {
      const top = relDir.split('/')[0] ?? relDir;
      await cp(join(repoRoot, top), join(work, top), { recursive: true });
    } else {
      for (const dep of deps) {
        if (dep.endsWith('/')) continue;
        const from = join(repoRoot, dep);
        if (!existsSync(from)) continue; // kubectl names the missing file
        await mkdir(dirname(join(work, dep)), { recursive: true });
        await cp(from, join(work, dep));
      }
    }
    const target = join(work, relDir);
    await mkdir(target, { recursive: true });
    await writeFile(join(target, relative(source, file)), text);
    const tool = await kustomizer();
    let stdout: string;
    try {
      ({ stdout } = await run(tool.command, [...tool.args, target], {
        maxBuffer: 64 * 1024 * 1024,
        timeout: 60_000,
      }));
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr ?? (err as Error).message;
      throw new KustomizeError(
        `${tool.name} ${relDir} failed: ${stderr.trim().split('\n').slice(-3).join(' ').replaceAll(work, '')}`,
      );
    }
    const objects = parseObjects(stdout, relDir).map((object) => {
      const origin = object.metadata.annotations?.[ORIGIN];
      let from = relDir;
      if (origin !== undefined) {
        const path = /^path:\s*(.+)$/m.exec(origin)?.[1]?.trim();
        if (path !== undefined) from = relative(work, resolve(target, path));
        delete object.metadata.annotations?.[ORIGIN];
        if (Object.keys(object.metadata.annotations ?? {}).length === 0) delete object.metadata.annotations;
      }
      return { object, file: from };
    });
    if (key !== undefined) cache.set(key, structuredClone(objects));
    return objects;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Parses multi-document YAML into objects; anything that is not an object is an error. */
export function parseObjects(text: string, where: string) {
  return parseAllDocuments(text).flatMap((doc, index) => {
    if (doc.errors.length > 0)
      throw new KustomizeError(`${where}: YAML document ${index + 1}: ${doc.errors[0]?.message}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return [];
    if (!isK8sObject(value))
      throw new KustomizeError(`${where}: YAML document ${index + 1} is not a Kubernetes object`);
    return [value];
  });
}
