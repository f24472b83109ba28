import { canaryTrack } from 'canary-context';
import type { GitHub } from './github.ts';
import { COMMENT_MARKER } from './pr-comment.ts';

/** What label syncing needs of a catalogue entry. */
export interface Labelled {
  readonly name: string;
  /** The PR label that deploys its canary (`canary:<name>`). */
  readonly label: string;
}

/**
 * Adds the catalogue label of each changed service, removes the others' labels. Returns
 * what changed.
 */
export async function syncLabels(
  gh: GitHub,
  repo: string,
  pr: number,
  changed: readonly string[],
  services: readonly Labelled[],
) {
  const current = (
    await gh.request<Array<{ name: string }>>('GET', `/repos/${repo}/issues/${pr}/labels`)
  ).map((l) => l.name);
  const labelOf = (name: string) => {
    const entry = services.find((s) => s.name === name);
    if (entry === undefined) throw new Error(`unknown service ${name}`);
    return entry.label;
  };
  const want = new Set(changed.map(labelOf));
  const add = [...want].filter((l) => !current.includes(l));
  const remove = services.map((s) => s.label).filter((l) => current.includes(l) && !want.has(l));
  if (add.length > 0) await gh.request('POST', `/repos/${repo}/issues/${pr}/labels`, { labels: add });
  for (const label of remove)
    await gh.request('DELETE', `/repos/${repo}/issues/${pr}/labels/${encodeURIComponent(label)}`);
  return { add, remove };
}

/** Keeps one comment per PR and marker: updates the one carrying the marker, or creates it. */
export async function upsertComment(
  gh: GitHub,
  repo: string,
  pr: number,
  body: string,
  marker: string = COMMENT_MARKER,
): Promise<'created' | 'updated'> {
  if (!body.includes(marker)) throw new Error('the comment body must carry its marker');
  const comments = await gh.paginate<{ id: number; body?: string }>(`/repos/${repo}/issues/${pr}/comments`);
  const mine = comments.find((c) => c.body?.includes(marker));
  if (mine === undefined) {
    await gh.request('POST', `/repos/${repo}/issues/${pr}/comments`, { body });
    return 'created';
  }
  await gh.request('PATCH', `/repos/${repo}/issues/comments/${mine.id}`, { body });
  return 'updated';
}

/**
 * Deletes a closed PR's canary images from GHCR (package versions whose only tags are that
 * PR's `pr-<N>-<sha>` tags). Versions that also carry another tag are kept.
 */
export async function deletePrImages(
  gh: GitHub,
  owner: string,
  ownerType: 'orgs' | 'users',
  packages: readonly string[],
  pr: number,
) {
  const prefix = `${canaryTrack(pr)}-`;
  const deleted: string[] = [];
  for (const pkg of packages) {
    const base = `/${ownerType}/${owner}/packages/container/${encodeURIComponent(pkg)}/versions`;
    const versions = await gh.paginate<{ id: number; metadata?: { container?: { tags?: string[] } } }>(base);
    for (const version of versions) {
      const tags = version.metadata?.container?.tags ?? [];
      if (tags.length > 0 && tags.every((t) => t.startsWith(prefix))) {
        await gh.request('DELETE', `${base}/${version.id}`);
        deleted.push(`${pkg}:${tags.join(',')}`);
      }
    }
  }
  return deleted;
}

/** Marks the one comment the fork guard keeps on a PR. */
export const FORK_GUARD_MARKER = '<!-- pr-canary:fork-guard -->';

/**
 * A new push to a PR from a fork: removes its canary labels (`canary:*`), so that the PR
 * ApplicationSet stops deploying it until a maintainer has reviewed the new commits and
 * labels it again (only maintainers can label). Says so in one comment.
 */
export async function guardForkPush(gh: GitHub, repo: string, pr: number, headSha: string) {
  const labels = (await gh.request<Array<{ name: string }>>('GET', `/repos/${repo}/issues/${pr}/labels`)).map(
    (l) => l.name,
  );
  const removed = labels.filter((l) => l.startsWith('canary:'));
  for (const label of removed)
    await gh.request('DELETE', `/repos/${repo}/issues/${pr}/labels/${encodeURIComponent(label)}`);
  if (removed.length > 0) {
    const body = [
      FORK_GUARD_MARKER,
      '### PR canary paused',
      '',
      `This PR comes from a fork, and ${headSha.slice(0, 8)} was pushed after its canary was approved, so its labels (${removed.map((l) => `\`${l}\``).join(', ')}) were removed: unreviewed commits never deploy.`,
      '',
      'A maintainer who has reviewed the new commits can label the PR again to deploy them.',
      '',
    ].join('\n');
    await upsertComment(gh, repo, pr, body, FORK_GUARD_MARKER);
  }
  return { removed };
}
