import { type Document, isMap, isSeq, type YAMLMap, YAMLSeq } from 'yaml';
import { renderTemplate } from './go-template.ts';
import { buildKustomization, KustomizeError } from './kustomize.ts';
import { at, describe, isClusterScoped, type K8sObject, type RenderedObject } from './objects.ts';

/** An Argo CD Application and what it would apply. */
export interface RenderedApplication {
  readonly application: K8sObject;
  /** The file of the Application or of the ApplicationSet that generated it. */
  readonly file: string;
  readonly generatedBy: string | undefined;
  readonly destinationNamespace: string;
  readonly objects: readonly RenderedObject[];
}

/** Parameters of the pull-request generator for one PR (names as Argo CD's). */
export interface PullRequest {
  readonly number: number;
  readonly headSha: string;
  readonly labels: readonly string[];
  readonly branch?: string;
  readonly targetBranch?: string;
  readonly title?: string;
  readonly author?: string;
}

const slug = (value: string) =>
  value
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 50)
    .replace(/-+$/, '');

export function pullRequestParams(pr: PullRequest): Record<string, unknown> {
  if (!/^[0-9a-f]{40}$/.test(pr.headSha))
    throw new Error(`head sha must be 40 hex characters, got "${pr.headSha}"`);
  const branch = pr.branch ?? `pr-${pr.number}`;
  const target = pr.targetBranch ?? 'main';
  return {
    number: pr.number,
    branch,
    branch_slug: slug(branch),
    target_branch: target,
    target_branch_slug: slug(target),
    head_sha: pr.headSha,
    head_short_sha: pr.headSha.slice(0, 8),
    head_short_sha_7: pr.headSha.slice(0, 7),
    labels: [...pr.labels],
    title: pr.title ?? `PR ${pr.number}`,
    author: pr.author ?? 'someone',
  };
}

/**
 * The Applications a pull-request ApplicationSet generates for one PR, or none when the PR
 * lacks a label its filter requires. Generators other than pullRequest are refused.
 */
export function instantiateApplicationSet(set: K8sObject, pr: PullRequest): K8sObject[] {
  const name = describe(set);
  const generators = at(set, 'spec', 'generators');
  if (!Array.isArray(generators) || generators.length !== 1) {
    throw new KustomizeError(`${name}: expected exactly one generator (pullRequest)`);
  }
  const generator = generators[0] as Record<string, unknown>;
  const pull = generator.pullRequest as Record<string, unknown> | undefined;
  if (pull === undefined || Object.keys(generator).length !== 1) {
    throw new KustomizeError(
      `${name}: only the pullRequest generator is supported, got ${Object.keys(generator).join(', ')}`,
    );
  }
  if (pull.filters !== undefined)
    throw new KustomizeError(`${name}: pullRequest.filters is not supported by canary render`);
  const required = (at(pull, 'github', 'labels') as string[] | undefined) ?? [];
  if (!required.every((label) => pr.labels.includes(label))) return [];
  if (at(set, 'spec', 'goTemplate') !== true) {
    throw new KustomizeError(
      `${name}: spec.goTemplate must be true (the default fasttemplate engine is not supported)`,
    );
  }
  const template = at(set, 'spec', 'template') as Record<string, unknown>;
  const application = renderTemplate(template, pullRequestParams(pr), `${name} spec.template`) as Record<
    string,
    unknown
  >;
  return [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', ...application } as K8sObject];
}

const SUPPORTED_KUSTOMIZE = new Set(['images', 'patches']);

/** `kustomize edit set image` as Argo CD runs it: `[old=]name[:tag][@digest]`. */
function setImage(doc: Document, spec: string): void {
  const [left, right] = spec.includes('=') ? (spec.split('=', 2) as [string, string]) : [undefined, spec];
  const at = right.indexOf('@');
  const digest = at >= 0 ? right.slice(at + 1) : undefined;
  const ref = at >= 0 ? right.slice(0, at) : right;
  const colon = ref.lastIndexOf(':');
  const hasTag = colon > ref.lastIndexOf('/');
  const newName = hasTag ? ref.slice(0, colon) : ref;
  const tag = hasTag ? ref.slice(colon + 1) : undefined;
  const name = left ?? newName;
  const entry: Record<string, string> = { name };
  if (left !== undefined) entry.newName = newName;
  if (tag !== undefined) entry.newTag = tag;
  if (digest !== undefined) entry.digest = digest;
  let images = doc.get('images');
  if (!isSeq(images)) {
    images = new YAMLSeq();
    doc.set('images', images);
  }
  const seq = images as YAMLSeq;
  const index = seq.items.findIndex((item) => isMap(item) && (item as YAMLMap).get('name') === name);
  const node = doc.createNode(entry);
  if (index >= 0) seq.items[index] = node;
  else seq.items.push(node);
}

/** Renders an Application's source the way Argo CD's repo server does, with the objects it would apply. */
export async function renderApplication(
  repoRoot: string,
  application: K8sObject,
  file: string,
  generatedBy?: string,
): Promise<RenderedApplication> {
  const name = describe(application);
  if (at(application, 'spec', 'sources') !== undefined)
    throw new KustomizeError(`${name}: spec.sources is not supported`);
  const path = at(application, 'spec', 'source', 'path');
  if (typeof path !== 'string' || path === '')
    throw new KustomizeError(`${name}: spec.source.path is required`);
  const options = (at(application, 'spec', 'source', 'kustomize') ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(options)) {
    if (!SUPPORTED_KUSTOMIZE.has(key)) {
      throw new KustomizeError(`${name}: spec.source.kustomize.${key} is not supported by canary render`);
    }
  }
  const destinationNamespace = at(application, 'spec', 'destination', 'namespace');
  if (typeof destinationNamespace !== 'string')
    throw new KustomizeError(`${name}: spec.destination.namespace is required`);

  const objects = await buildKustomization(repoRoot, path, (doc) => {
    for (const image of (options.images as string[] | undefined) ?? []) setImage(doc, image);
    const patches = (options.patches as unknown[] | undefined) ?? [];
    if (patches.length > 0) {
      const existing = doc.get('patches');
      const seq = isSeq(existing) ? (existing as YAMLSeq) : new YAMLSeq();
      for (const patch of patches) seq.items.push(doc.createNode(patch));
      doc.set('patches', seq);
    }
  });
  // Argo CD applies namespaced objects without a namespace into the destination.
  for (const { object } of objects) {
    if (!isClusterScoped(object.kind) && object.metadata.namespace === undefined) {
      object.metadata.namespace = destinationNamespace;
    }
  }
  return { application, file, generatedBy, destinationNamespace, objects };
}
