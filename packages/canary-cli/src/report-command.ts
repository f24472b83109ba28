import { writeFileSync } from 'node:fs';
import { labClient } from 'local-runtime/lab';
import { fetchSamples } from './report/prometheus.ts';
import { DEFAULT_THRESHOLDS, describe, judge, type ServiceVerdict } from './report/verdict.ts';

export interface ReportOptions {
  readonly repoRoot: string;
  readonly pr: number;
  readonly prometheus: string | undefined;
  readonly windowS: number;
  readonly stepS: number;
  readonly format: 'text' | 'markdown' | 'json';
  /** Also write the JSON form here (the PR workflow posts the markdown, decides on the JSON). */
  readonly jsonFile?: string | undefined;
}

const ICON: Record<ServiceVerdict['verdict'], string> = {
  pass: '✅ pass',
  fail: '❌ fail',
  'not enough traffic': '⏳ not enough traffic',
};

function metric(v: ServiceVerdict, name: string) {
  const m = v.metrics.find((x) => x.metric === name);
  return m === undefined ? '-' : `${m.worse ? '**' : ''}${describe(m)}${m.worse ? '**' : ''}`;
}

export function markdownReport(pr: number, windowS: number, verdicts: readonly ServiceVerdict[]): string {
  const t = DEFAULT_THRESHOLDS;
  return [
    `### Canary report: PR ${pr} vs stable (last ${Math.round(windowS / 60)} min)`,
    '',
    '| service | verdict | canary req/s | stable req/s | error ratio | p50 | p99 |',
    '|---|---|---|---|---|---|---|',
    ...verdicts.map(
      (v) =>
        `| ${v.service} | ${ICON[v.verdict]} | ${v.canaryRate.toFixed(2)} | ${v.stableRate.toFixed(2)} | ${metric(v, 'error ratio')} | ${metric(v, 'p50 latency')} | ${metric(v, 'p99 latency')} |`,
    ),
    '',
    ...verdicts.filter((v) => v.verdict !== 'pass').map((v) => `- **${v.service}**: ${v.reason}`),
    '',
    `<sub>Mann-Whitney U, one-sided, α = ${t.alpha}, on ${'per-step'} samples of the recording rules; a metric fails when the canary's median is also beyond tolerance (latency × ${t.latencyRatio} + ${t.latencyFloorSeconds * 1000} ms, error ratio + ${t.errorRatioMargin * 100} points); at least ${t.minRequests} canary requests in ${t.minSamples} steps.</sub>`,
    '',
  ].join('\n');
}

function textReport(
  pr: number,
  windowS: number,
  stepS: number,
  base: string,
  verdicts: readonly ServiceVerdict[],
): string {
  const lines = [`canary report: PR ${pr} vs stable, last ${windowS} s, from ${base}`, ''];
  for (const v of verdicts) {
    lines.push(`  ${v.service.padEnd(15)} ${v.verdict.toUpperCase().padEnd(19)} ${v.reason}`);
    for (const m of v.metrics)
      lines.push(`      ${m.metric.padEnd(12)} ${describe(m)}${m.worse ? '   ← worse' : ''}`);
  }
  if (verdicts.length === 0) lines.push(`  no canary of PR ${pr} has reported metrics in this window`);
  const next = nextStep(pr, windowS, stepS, verdicts);
  if (next !== undefined) lines.push('', next);
  return `${lines.join('\n')}\n`;
}

/**
 * What to do when there is no verdict yet: which traffic, how long to wait, or which
 * shorter window and step make the minimum reachable sooner.
 */
export function nextStep(
  pr: number,
  windowS: number,
  stepS: number,
  verdicts: readonly ServiceVerdict[],
): string | undefined {
  const t = DEFAULT_THRESHOLDS;
  const quiet = verdicts.length === 0;
  if (!quiet && !verdicts.some((v) => v.verdict === 'not enough traffic')) return undefined;
  const wait = t.minSamples * stepS;
  // Two requests about every 0.25 s, for at least the steps the verdict needs.
  const rounds = Math.max(t.minRequests * 2, Math.ceil(wait / 0.25));
  return [
    ...(quiet
      ? [
          `  next: is PR ${pr} running? ./canary lab status lists the canaries, ./canary lab add ${pr} starts it; a canary reports once it has served requests.`,
        ]
      : []),
    `  next: send PR ${pr} at least ${t.minRequests} requests (and stable some too), spread over at least ${t.minSamples} steps of ${stepS} s (${wait} s), e.g.`,
    `    for i in $(seq ${rounds}); do curl -s -o /dev/null localhost:8080/v1/items -H "Authorization: Bearer $TOKEN" -H 'X-Canary: ${pr}'; curl -s -o /dev/null localhost:8080/v1/items -H "Authorization: Bearer $TOKEN"; sleep 0.2; done`,
    `  then run ./canary report again${windowS > 5 * 60 ? '; a shorter window gives a verdict sooner: --window 2m --step 2s' : ''}.`,
  ].join('\n');
}

/**
 * Exit code: 0 every service passes, 3 one fails, 4 no verdict (not enough traffic, or no
 * canary). 1 and 2 stay what they are for every command: an error, a usage error.
 */
export function exitCode(verdicts: readonly ServiceVerdict[]): number {
  if (verdicts.some((v) => v.verdict === 'fail')) return 3;
  if (verdicts.length === 0 || verdicts.some((v) => v.verdict === 'not enough traffic')) return 4;
  return 0;
}

export async function reportCommand(options: ReportOptions): Promise<number> {
  let base = options.prometheus;
  if (base === undefined) {
    const status = await (await labClient(options.repoRoot)).status();
    if (status.prometheus === null)
      throw new Error(
        'the lab runs no Prometheus: stop it (Ctrl-C) and start it again with `npm start -- --observability` (canaries are not kept: lab add them again), or pass --prometheus URL',
      );
    base = status.prometheus;
  }
  const samples = await fetchSamples(base, options.pr, options.windowS, options.stepS);
  const verdicts = samples.map((s) => judge(s, options.stepS));
  const json = `${JSON.stringify({ pr: options.pr, windowSeconds: options.windowS, prometheus: base, verdicts }, null, 2)}\n`;
  if (options.jsonFile !== undefined) writeFileSync(options.jsonFile, json);
  const out =
    options.format === 'json'
      ? json
      : options.format === 'markdown'
        ? markdownReport(options.pr, options.windowS, verdicts)
        : textReport(options.pr, options.windowS, options.stepS, base, verdicts);
  process.stdout.write(out);
  return exitCode(verdicts);
}
