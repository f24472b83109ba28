// A copy of what `canary verify` reads (manifests, catalogue, .proto files), and mutations
// applied to it by content.
import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Mutation } from './mutations.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const SKIP = new Set(['node_modules', '.git', '.tools', '.lab', '.data']);

/** What verify reads: the manifests, the catalogue and the .proto files. */
export async function copyTree(to: string): Promise<void> {
  await cp(join(repoRoot, 'manifests-microservices'), join(to, 'manifests-microservices'), {
    recursive: true,
  });
  await cp(join(repoRoot, 'catalogue.yaml'), join(to, 'catalogue.yaml'));
  // What the cluster layer installs before Argo CD would sync (cluster/prerequisites.ts).
  await cp(join(repoRoot, 'localdev', 'infrastructure'), join(to, 'localdev', 'infrastructure'), {
    recursive: true,
  });
  const protos: string[] = [];
  const visit = async (dir: string, depth: number) => {
    if (depth > 5) return;
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.isDirectory() && !SKIP.has(entry.name)) await visit(join(dir, entry.name), depth + 1);
      else if (entry.isFile() && entry.name.endsWith('.proto')) protos.push(join(dir, entry.name));
    }
  };
  await visit(repoRoot, 0);
  for (const file of protos) {
    const target = join(to, relative(repoRoot, file));
    await cp(dirname(file), dirname(target), {
      recursive: true,
      filter: (src) => !src.includes('node_modules'),
    });
  }
}

/** Files a mutation may touch: the manifests and the catalogue. */
export async function candidates(root: string): Promise<string[]> {
  const entries = await readdir(join(root, 'manifests-microservices'), {
    recursive: true,
    withFileTypes: true,
  });
  return [
    join(root, 'catalogue.yaml'),
    ...entries.filter((e) => e.isFile() && e.name.endsWith('.yaml')).map((e) => join(e.parentPath, e.name)),
  ];
}

/** Applies a mutation by content; fails when a target is missing or ambiguous. */
export async function apply(root: string, mutation: Mutation): Promise<void> {
  for (const edit of mutation.edits) {
    const files = (await candidates(root)).filter(
      (f) => edit.within === undefined || relative(root, f).includes(edit.within),
    );
    const hits: Array<{ file: string; text: string }> = [];
    for (const file of files) {
      const text = await readFile(file, 'utf8');
      const count = text.split(edit.find).length - 1;
      if (count > 1)
        throw new Error(`"${edit.find}" occurs ${count} times in ${relative(root, file)}: narrow it`);
      if (count === 1) hits.push({ file, text });
    }
    if (hits.length !== 1)
      throw new Error(
        `mutation "${mutation.name}": "${edit.find}" found in ${hits.length} files${hits.length > 0 ? ` (${hits.map((h) => relative(root, h.file)).join(', ')})` : ' (target moved or changed?)'}`,
      );
    const [hit] = hits as [{ file: string; text: string }];
    await writeFile(hit.file, hit.text.replace(edit.find, edit.replace));
  }
}

/** Runs `work` over items, at most `limit` at a time. */
export async function pool<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next;
        next += 1;
        results[i] = await work(items[i] as T);
      }
    }),
  );
  return results;
}
