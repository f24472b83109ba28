import type { Service, Workspace } from './workspaces.ts';
import { SERVICES } from './workspaces.ts';

/** Files that change what every image contains. */
const EVERYTHING = new Set(['package.json', 'package-lock.json', '.dockerignore', 'tsconfig.json']);

/**
 * The services whose images a change affects: a service changes when a file in its folder
 * changes, or in a workspace package it depends on (directly or through others, e.g. the
 * proto in store-service for api-service), or a root file every image is built from.
 * Manifests, docs and workflows change no image.
 */
export function changedServices(files: readonly string[], workspaces: readonly Workspace[]): Service[] {
  const byName = new Map(workspaces.map((w) => [w.name, w]));
  const touched = new Set<string>();
  for (const file of files) {
    if (EVERYTHING.has(file)) return [...SERVICES];
    const owner = workspaces
      .filter((w) => file === w.dir || file.startsWith(`${w.dir}/`))
      .sort((a, b) => b.dir.length - a.dir.length)[0];
    if (owner !== undefined) touched.add(owner.name);
  }
  const dependsOnTouched = (name: string, seen = new Set<string>()): boolean => {
    if (touched.has(name)) return true;
    if (seen.has(name)) return false;
    seen.add(name);
    return (byName.get(name)?.dependsOn ?? []).some((dep) => dependsOnTouched(dep, seen));
  };
  return SERVICES.filter((service) => dependsOnTouched(service));
}
