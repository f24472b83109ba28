import { type Document, isMap, isSeq, YAMLMap, YAMLSeq } from 'yaml';
import { buildKustomization, KustomizeError } from './kustomize.ts';
import { at, describe, isClusterScoped, type K8sObject, type RenderedObject } from './objects.ts';

/** An Argo CD Application and what it would apply. */
export interface RenderedApplication {
  readonly application: K8sObject;
  /** The file of the Application, or of the ApplicationSet (or parent) that generated it. */
  readonly file: string;
  /** The ApplicationSet that generated it, if any. */
  readonly generatedBy: string | undefined;
  readonly destinationNamespace: string;
  /** spec.source.targetRevision as rendered. */
  readonly revision: string;
  /** True when its source is a pull request's head (the PR's own manifests). */
  readonly fromPullRequestHead: boolean;
  readonly objects: readonly RenderedObject[];
  /** Applications among its objects (app of apps), rendered in turn. */
  readonly children: readonly RenderedApplication[];
  /** The PR it was generated for (PR Applications and their children). */
  readonly pullRequest: number | undefined;
}

/**
 * Where sources come from: the checkout of the default branch, and (when rendering a PR)
 * the checkout of its head. A source whose targetRevision is the head sha reads the head.
 */
export interface SourceRoots {
  readonly defaultRoot: string;
  readonly head?: { readonly sha: string; readonly root: string };
}

const SUPPORTED_KUSTOMIZE = new Set(['images', 'patches', 'components', 'commonAnnotations']);

/** `kustomize edit set image` as Argo CD runs it: `[old=]name[:tag][@digest]`, replacing the entry. */
function setImage(doc: Document, spec: string): void {
  const [left, right] = spec.includes('=') ? (spec.split('=', 2) as [string, string]) : [undefined, spec];
  const atSign = right.indexOf('@');
  const digest = atSign >= 0 ? right.slice(atSign + 1) : undefined;
  const ref = atSign >= 0 ? right.slice(0, atSign) : right;
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

/** Appends to a list field of the kustomization (patches, components), creating it. */
function append(doc: Document, field: string, values: readonly unknown[]): void {
  if (values.length === 0) return;
  const existing = doc.get(field);
  const seq = isSeq(existing) ? (existing as YAMLSeq) : new YAMLSeq();
  for (const value of values) seq.items.push(doc.createNode(value));
  doc.set(field, seq);
}

/**
 * `kustomize edit add annotation` as Argo CD runs it for spec.source.kustomize.commonAnnotations:
 * merged into the kustomization's commonAnnotations (which kustomize also puts on pod templates).
 */
function addAnnotations(doc: Document, annotations: Readonly<Record<string, unknown>>): void {
  const entries = Object.entries(annotations);
  if (entries.length === 0) return;
  const existing = doc.get('commonAnnotations');
  const map = isMap(existing) ? (existing as YAMLMap) : new YAMLMap();
  for (const [key, value] of entries) map.set(key, String(value ?? ''));
  doc.set('commonAnnotations', map);
}

function rootFor(roots: SourceRoots, revision: string): { root: string; head: boolean } {
  if (roots.head !== undefined && revision === roots.head.sha) return { root: roots.head.root, head: true };
  return { root: roots.defaultRoot, head: false };
}

/**
 * Renders an Application's source the way Argo CD's repo server does (Argo CD edits the
 * kustomization with the Application's kustomize options, then builds it), with the objects
 * it would apply; Applications among them are rendered in turn (app of apps).
 */
export async function renderApplication(
  roots: SourceRoots,
  application: K8sObject,
  file: string,
  generatedBy?: string,
  pullRequest?: number,
  depth = 0,
): Promise<RenderedApplication> {
  const name = describe(application);
  if (at(application, 'spec', 'sources') !== undefined)
    throw new KustomizeError(`${name}: spec.sources is not supported`);
  const path = at(application, 'spec', 'source', 'path');
  if (typeof path !== 'string' || path === '')
    throw new KustomizeError(`${name}: spec.source.path is required`);
  const revision = String(at(application, 'spec', 'source', 'targetRevision') ?? 'HEAD');
  const options = (at(application, 'spec', 'source', 'kustomize') ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(options)) {
    if (!SUPPORTED_KUSTOMIZE.has(key)) {
      throw new KustomizeError(`${name}: spec.source.kustomize.${key} is not supported by canary render`);
    }
  }
  const destinationNamespace = at(application, 'spec', 'destination', 'namespace');
  if (typeof destinationNamespace !== 'string')
    throw new KustomizeError(`${name}: spec.destination.namespace is required`);

  const source = rootFor(roots, revision);
  const objects = await buildKustomization(source.root, path, (doc) => {
    for (const image of (options.images as string[] | undefined) ?? []) setImage(doc, image);
    append(doc, 'components', (options.components as unknown[] | undefined) ?? []);
    append(doc, 'patches', (options.patches as unknown[] | undefined) ?? []);
    addAnnotations(doc, (options.commonAnnotations as Record<string, unknown> | undefined) ?? {});
  });
  // Argo CD applies namespaced objects without a namespace into the destination.
  for (const { object } of objects) {
    if (!isClusterScoped(object.kind) && object.metadata.namespace === undefined) {
      object.metadata.namespace = destinationNamespace;
    }
  }
  const children =
    depth >= 2
      ? []
      : await Promise.all(
          objects
            .filter(({ object }) => object.kind === 'Application')
            .map((child) =>
              renderApplication(roots, child.object, child.file, undefined, pullRequest, depth + 1),
            ),
        );
  return {
    application,
    file,
    generatedBy,
    destinationNamespace,
    revision,
    fromPullRequestHead: source.head,
    objects,
    children,
    pullRequest,
  };
}

/** Every Application of a list and their children, depth first. */
export function flattenApplications(apps: readonly RenderedApplication[]): RenderedApplication[] {
  return apps.flatMap((app) => [app, ...flattenApplications(app.children)]);
}
