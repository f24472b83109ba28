import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { type Document, parseAllDocuments, parseDocument } from 'yaml';
import { isK8sObject, type RenderedObject } from './objects.ts';

const run = promisify(execFile);
const ORIGIN = 'config.kubernetes.io/origin';

export class KustomizeError extends Error {
  override name = 'KustomizeError';
}

/** Fails with an actionable message when kubectl (which embeds kustomize) is missing. */
export async function checkKubectl(): Promise<void> {
  try {
    await run('kubectl', ['version', '--client=true', '--output=json'], { timeout: 20_000 });
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new KustomizeError(
      missing
        ? 'kubectl not found: rendering builds manifests with `kubectl kustomize` (kubectl >= 1.27). Install kubectl and retry.'
        : `kubectl does not run: ${(err as Error).message.split('\n')[0]}`,
    );
  }
}

/**
 * Builds `relDir` (relative to `repoRoot`) with `kubectl kustomize` from a private copy of
 * its top-level folder, after `edit` changed its kustomization.yaml (as Argo CD does for
 * an Application's kustomize options). Every object comes back with the repository file
 * that defines it (kustomize origin annotations, removed from the object).
 */
export async function buildKustomization(
  repoRoot: string,
  relDir: string,
  edit?: (kustomization: Document) => void,
): Promise<RenderedObject[]> {
  const top = relDir.split('/')[0] ?? relDir;
  const work = await mkdtemp(join(tmpdir(), 'canary-render-'));
  try {
    await cp(join(repoRoot, top), join(work, top), { recursive: true });
    const target = join(work, relDir);
    const file = join(target, 'kustomization.yaml');
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      throw new KustomizeError(`${relDir}: no kustomization.yaml`);
    }
    const doc = parseDocument(text);
    edit?.(doc);
    doc.set('buildMetadata', ['originAnnotations']);
    await writeFile(file, doc.toString());
    let stdout: string;
    try {
      ({ stdout } = await run('kubectl', ['kustomize', target], {
        maxBuffer: 64 * 1024 * 1024,
        timeout: 60_000,
      }));
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr ?? (err as Error).message;
      throw new KustomizeError(
        `kubectl kustomize ${relDir} failed: ${stderr.trim().split('\n').slice(-3).join(' ')}`,
      );
    }
    return parseObjects(stdout, relDir).map((object) => {
      const origin = object.metadata.annotations?.[ORIGIN];
      let source = relDir;
      if (origin !== undefined) {
        const path = /^path:\s*(.+)$/m.exec(origin)?.[1]?.trim();
        if (path !== undefined) source = relative(work, resolve(target, path));
        delete object.metadata.annotations?.[ORIGIN];
        if (Object.keys(object.metadata.annotations ?? {}).length === 0) delete object.metadata.annotations;
      }
      return { object, file: source };
    });
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
