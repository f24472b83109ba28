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

/** The label that marks a PR from a fork: the PR ApplicationSet then deploys only an approved head. */
export const FORK_LABEL = 'canary:fork';

/** The approval of one fork commit: `canary@<full head sha>` (47 characters, under GitHub's 50). */
export const approvalLabel = (sha: string) => `canary@${sha}`;

const isApproval = (label: string) => /^canary@[0-9a-f]{40}$/.test(label);

async function labelsOf(gh: GitHub, repo: string, pr: number): Promise<string[]> {
  return (await gh.request<Array<{ name: string }>>('GET', `/repos/${repo}/issues/${pr}/labels`)).map(
    (l) => l.name,
  );
}

/**
 * A push to (or the opening of) a PR from a fork: marks it `canary:fork`, so the PR
 * ApplicationSet deploys it only at a head a maintainer approved (label
 * `canary@<head sha>`, see approveFork). A head without that approval is rendered held: it
 * never syncs, whenever the push lands, and the canary keeps its approved commit. When the
 * PR has a canary, says once per head that the new commits are held.
 */
export async function guardForkPush(gh: GitHub, repo: string, pr: number, headSha: string) {
  const labels = await labelsOf(gh, repo, pr);
  const marked = !labels.includes(FORK_LABEL);
  if (marked) await gh.request('POST', `/repos/${repo}/issues/${pr}/labels`, { labels: [FORK_LABEL] });
  const approved = labels.find(isApproval);
  const held =
    approved !== undefined && approved !== approvalLabel(headSha)
      ? { approved: approved.slice('canary@'.length), head: headSha }
      : undefined;
  if (held !== undefined) {
    const body = [
      FORK_GUARD_MARKER,
      '### PR canary held',
      '',
      `This PR comes from a fork. Its canary runs ${held.approved.slice(0, 8)}, the commit a maintainer approved; ${headSha.slice(0, 8)} and anything pushed after it do not deploy.`,
      '',
      `A maintainer who has reviewed ${headSha.slice(0, 8)} approves it with the \`pr-canary-approve\` workflow (PR ${pr}, sha \`${headSha}\`): it builds the images of exactly that commit and moves the canary to it.`,
      '',
    ].join('\n');
    await upsertComment(gh, repo, pr, body, FORK_GUARD_MARKER);
  }
  return { marked, held: held !== undefined };
}

/**
 * A maintainer approves one commit of a fork PR (the pr-canary-approve workflow, which
 * built its images): refuses unless the PR comes from a fork and `sha` is its head; then
 * labels it `canary:fork`, `canary@<sha>` (the only approval label) and the changed
 * services' `canary:<service>` labels (the others' removed). Returns what changed.
 */
export async function approveFork(
  gh: GitHub,
  repo: string,
  pr: number,
  sha: string,
  changed: readonly string[],
  services: readonly Labelled[],
) {
  if (!/^[0-9a-f]{40}$/.test(sha))
    throw new Error(`--sha must be a full commit sha (40 hex characters), got ${sha}`);
  const pull = await gh.request<{ head: { sha: string; repo: { full_name: string } | null } }>(
    'GET',
    `/repos/${repo}/pulls/${pr}`,
  );
  if (pull.head.repo?.full_name === repo)
    throw new Error(`PR ${pr} is not from a fork: its canary follows its head without approval`);
  if (pull.head.sha !== sha)
    throw new Error(
      `PR ${pr}'s head is ${pull.head.sha}, not ${sha}: review and approve the head (nothing else can deploy)`,
    );
  const current = await labelsOf(gh, repo, pr);
  const stale = current.filter((l) => isApproval(l) && l !== approvalLabel(sha));
  for (const label of stale)
    await gh.request('DELETE', `/repos/${repo}/issues/${pr}/labels/${encodeURIComponent(label)}`);
  const add = [FORK_LABEL, approvalLabel(sha)].filter((l) => !current.includes(l));
  if (add.length > 0) await gh.request('POST', `/repos/${repo}/issues/${pr}/labels`, { labels: add });
  const labelled = await syncLabels(gh, repo, pr, changed, services);
  return { approved: sha, removed: [...stale, ...labelled.remove], added: [...add, ...labelled.add] };
}
