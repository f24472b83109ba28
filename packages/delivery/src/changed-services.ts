import type { Workspace } from 'service-catalogue';

/** Files that change what every image contains. */
const EVERYTHING = new Set(['package.json', 'package-lock.json', '.dockerignore', 'tsconfig.json']);

/** What changed-service detection needs of a catalogue entry. */
export interface ImageSource {
  readonly name: string;
  /** npm workspace folder of the service. */
  readonly workspace: string;
}

/**
 * The services (catalogue names, catalogue order) whose images a change affects: a
 * service changes when a file in its workspace folder changes, or in a workspace package
 * it depends on at run time (directly or through others, e.g. the store contract for the
 * api), or a root file every image is built from. Manifests, docs, workflows and what
 * only tests use (devDependencies) change no image.
 */
export function changedServices(
  files: readonly string[],
  workspaces: readonly Workspace[],
  services: readonly ImageSource[],
): string[] {
  if (files.some((file) => EVERYTHING.has(file))) return services.map((s) => s.name);
  const byName = new Map(workspaces.map((w) => [w.name, w]));
  const touched = new Set<string>();
  for (const file of files) {
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
  return services
    .filter((service) => {
      const workspace = workspaces.find((w) => w.dir === service.workspace);
      if (workspace === undefined)
        throw new Error(`${service.name}: workspace folder ${service.workspace} is not an npm workspace`);
      return dependsOnTouched(workspace.name);
    })
    .map((s) => s.name);
}
