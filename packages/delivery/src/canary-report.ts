import type { GitHub } from './github.ts';

/** Hidden marker of the one verdict comment per PR (next to the status comment's). */
export const REPORT_MARKER = '<!-- pr-canary:report -->';

/** What this module reads of `canary report --format json` (the CLI writes more). */
export interface CanaryReport {
  readonly pr: number;
  readonly verdicts: ReadonlyArray<{
    readonly service: string;
    readonly verdict: 'pass' | 'fail' | 'not enough traffic';
    readonly canaryRequests: number;
  }>;
}

const VERDICTS = new Set(['pass', 'fail', 'not enough traffic']);

/** Parses and checks a report file: the PR it names must be the PR the comment goes to. */
export function parseReport(text: string, pr: number): CanaryReport {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('the report is not JSON (expected the output of canary report --format json)');
  }
  const report = value as Partial<CanaryReport>;
  if (report.pr !== pr) throw new Error(`the report is for PR ${String(report.pr)}, not PR ${pr}`);
  if (!Array.isArray(report.verdicts)) throw new Error('the report has no verdicts list');
  for (const v of report.verdicts)
    if (typeof v?.service !== 'string' || !VERDICTS.has(v.verdict) || !Number.isFinite(v.canaryRequests))
      throw new Error(`the report has a malformed verdict: ${JSON.stringify(v)}`);
  return report as CanaryReport;
}

export type ReportDecision =
  | { readonly post: true; readonly body: string }
  | { readonly post: false; readonly reason: string };

/**
 * Whether the verdict goes on the PR yet. It does once every canary has served
 * `minRequests` requests in the window, or as soon as one fails (a fail is already backed
 * by the statistical test and its own minimum). Until then the PR is left alone rather than
 * told "not enough traffic" every 15 minutes.
 */
export function reportComment(report: CanaryReport, markdown: string, minRequests: number): ReportDecision {
  if (report.verdicts.length === 0)
    return { post: false, reason: `no canary of PR ${report.pr} has reported metrics yet` };
  const failed = report.verdicts.some((v) => v.verdict === 'fail');
  const short = report.verdicts.filter((v) => v.canaryRequests < minRequests);
  if (!failed && short.length > 0)
    return {
      post: false,
      reason: `waiting for traffic: ${short.map((v) => `${v.service} served ${v.canaryRequests} of ${minRequests} requests`).join(', ')}`,
    };
  return { post: true, body: `${REPORT_MARKER}\n${markdown.trim()}\n` };
}

/**
 * Open PRs that have a canary (any of the catalogue's `canary:<service>` labels), oldest
 * first: the ones a report is due for.
 */
export async function canaryPullRequests(
  gh: GitHub,
  repo: string,
  labels: readonly string[],
): Promise<number[]> {
  const open = await gh.paginate<{ number: number; draft?: boolean; labels: Array<{ name: string }> }>(
    `/repos/${repo}/pulls?state=open&sort=created&direction=asc`,
  );
  return open
    .filter((p) => p.draft !== true && p.labels.some((l) => labels.includes(l.name)))
    .map((p) => p.number);
}
