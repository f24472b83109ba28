export interface MergedPullRequest {
  readonly number: number;
  readonly title: string;
  readonly author: string;
  readonly labels: readonly string[];
  readonly mergedAt: string;
}

const SECTIONS: ReadonlyArray<[string, (labels: readonly string[]) => boolean]> = [
  ['Breaking changes', (l) => l.includes('breaking')],
  ['Features', (l) => l.includes('feature') || l.includes('enhancement')],
  ['Fixes', (l) => l.includes('bug') || l.includes('fix')],
  ['Other changes', () => true],
];

/**
 * Release notes from the pull requests merged since the previous tag, grouped by label
 * (each PR in its first matching section), oldest first within a section. PRs labelled
 * `skip-changelog` and bot dependency bumps are left out.
 */
export function releaseNotes(
  tag: string,
  previousTag: string | undefined,
  prs: readonly MergedPullRequest[],
  repo: string,
): string {
  const included = prs
    .filter((pr) => !pr.labels.includes('skip-changelog'))
    .filter((pr) => !(pr.author.endsWith('[bot]') && /^(chore|build)\(deps/.test(pr.title)))
    .sort((a, b) => a.mergedAt.localeCompare(b.mergedAt) || a.number - b.number);
  const lines = [`## ${tag}`, ''];
  const used = new Set<number>();
  for (const [title, belongs] of SECTIONS) {
    const section = included.filter((pr) => !used.has(pr.number) && belongs(pr.labels));
    if (section.length === 0) continue;
    lines.push(`### ${title}`, '');
    for (const pr of section) {
      used.add(pr.number);
      lines.push(`- ${pr.title.trim()} (#${pr.number}, @${pr.author})`);
    }
    lines.push('');
  }
  if (used.size === 0) lines.push('No user-facing changes.', '');
  if (previousTag !== undefined)
    lines.push(`**Full changelog**: https://github.com/${repo}/compare/${previousTag}...${tag}`, '');
  return lines.join('\n');
}
