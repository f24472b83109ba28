import { isMap, isSeq, parseDocument, type YAMLMap } from 'yaml';

/**
 * Sets `images[name=<image>].newTag` in a kustomization, changing nothing else: comments,
 * key order, quoting and the other entries stay as they were. Fails when the image has no
 * entry (a typo must not silently add one).
 */
export function setImageTag(kustomization: string, image: string, tag: string): string {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag))
    throw new Error(`invalid image tag: ${JSON.stringify(tag)}`);
  const doc = parseDocument(kustomization, { keepSourceTokens: true });
  if (doc.errors.length > 0) throw new Error(`kustomization does not parse: ${doc.errors[0]?.message}`);
  const images = doc.get('images');
  if (!isSeq(images)) throw new Error('kustomization has no images: list');
  const entry = images.items.find((item) => isMap(item) && (item as YAMLMap).get('name') === image) as
    | YAMLMap
    | undefined;
  if (entry === undefined) throw new Error(`kustomization has no images entry named ${image}`);
  const current = entry.get('newTag');
  if (current === tag) return kustomization;
  // Replace the scalar's source text only, so the rest of the file is byte-for-byte unchanged.
  const node = entry.get('newTag', true) as { range?: [number, number, number] } | undefined;
  if (node?.range !== undefined) {
    const [start, end] = node.range;
    return `${kustomization.slice(0, start)}${tag}${kustomization.slice(end)}`;
  }
  entry.set('newTag', tag);
  return doc.toString();
}

export function getImageTag(kustomization: string, image: string): string | undefined {
  const images = parseDocument(kustomization).get('images');
  if (!isSeq(images)) return undefined;
  const entry = images.items.find((item) => isMap(item) && (item as YAMLMap).get('name') === image) as
    | YAMLMap
    | undefined;
  const tag = entry?.get('newTag');
  return tag === undefined ? undefined : String(tag);
}
