import { mannWhitneyGreater } from './mann-whitney.ts';

/** One metric of one service, sampled over the window: canary and stable side by side. */
export interface Samples {
  readonly canary: readonly number[];
  readonly stable: readonly number[];
}

export interface ServiceSamples {
  readonly service: string;
  /** Requests per second, per interval. */
  readonly rate: Samples;
  readonly errorRatio: Samples;
  /** Seconds. */
  readonly p50: Samples;
  readonly p99: Samples;
}

export interface Thresholds {
  /** Requests the canary must have served in the window. */
  readonly minRequests: number;
  /** Intervals with traffic each side must have. */
  readonly minSamples: number;
  /** Significance of the one-sided Mann-Whitney test. */
  readonly alpha: number;
  /** How much worse the canary's median latency may be before it counts: ratio and floor. */
  readonly latencyRatio: number;
  readonly latencyFloorSeconds: number;
  /** How many points the canary's median error ratio may exceed stable's. */
  readonly errorRatioMargin: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  minRequests: 50,
  minSamples: 8,
  alpha: 0.05,
  latencyRatio: 1.2,
  latencyFloorSeconds: 0.005,
  errorRatioMargin: 0.01,
};

export interface MetricResult {
  readonly metric: 'error ratio' | 'p50 latency' | 'p99 latency';
  readonly canary: number;
  readonly stable: number;
  readonly p: number;
  readonly worse: boolean;
}

export interface ServiceVerdict {
  readonly service: string;
  readonly verdict: 'pass' | 'fail' | 'not enough traffic';
  readonly reason: string;
  readonly canaryRequests: number;
  readonly canaryRate: number;
  readonly stableRate: number;
  readonly metrics: readonly MetricResult[];
}

const finite = (values: readonly number[]) => values.filter((v) => Number.isFinite(v));
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? Number.NaN)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/**
 * Compares a service's canary with stable: a metric counts as worse when the canary's
 * median is beyond the tolerance (latency: × latencyRatio and + latencyFloorSeconds;
 * error ratio: + errorRatioMargin) AND the one-sided Mann-Whitney test says the canary's
 * samples are greater than stable's with p < alpha. Both, so that neither noise nor a
 * negligible but consistent difference fails a PR. Too little canary traffic gives no
 * verdict rather than a guess.
 */
export function judge(
  samples: ServiceSamples,
  stepSeconds: number,
  t: Thresholds = DEFAULT_THRESHOLDS,
): ServiceVerdict {
  const canaryRequests = Math.round(finite(samples.rate.canary).reduce((sum, r) => sum + r * stepSeconds, 0));
  const base = {
    service: samples.service,
    canaryRequests,
    canaryRate: median(finite(samples.rate.canary)),
    stableRate: median(finite(samples.rate.stable)),
  };
  const sides = [samples.p50, samples.p99, samples.errorRatio];
  const short = sides.some(
    (s) => finite(s.canary).length < t.minSamples || finite(s.stable).length < t.minSamples,
  );
  if (canaryRequests < t.minRequests || short)
    return {
      ...base,
      verdict: 'not enough traffic',
      reason: `canary served ${canaryRequests} requests in ${Math.min(...sides.map((s) => finite(s.canary).length))} intervals (needs ${t.minRequests} in ${t.minSamples})`,
      metrics: [],
    };
  const compare = (
    metric: MetricResult['metric'],
    s: Samples,
    tolerated: (stable: number) => number,
  ): MetricResult => {
    const canary = median(finite(s.canary));
    const stable = median(finite(s.stable));
    const { p } = mannWhitneyGreater(finite(s.canary), finite(s.stable));
    return { metric, canary, stable, p, worse: canary > tolerated(stable) && p < t.alpha };
  };
  const metrics = [
    compare('error ratio', samples.errorRatio, (stable) => stable + t.errorRatioMargin),
    compare('p50 latency', samples.p50, (stable) => stable * t.latencyRatio + t.latencyFloorSeconds),
    compare('p99 latency', samples.p99, (stable) => stable * t.latencyRatio + t.latencyFloorSeconds),
  ];
  const worse = metrics.filter((m) => m.worse);
  return {
    ...base,
    verdict: worse.length === 0 ? 'pass' : 'fail',
    reason:
      worse.length === 0
        ? 'no metric worse than stable beyond tolerance'
        : worse.map((m) => `${m.metric} ${describe(m)}`).join('; '),
    metrics,
  };
}

export function describe(m: MetricResult): string {
  if (m.metric === 'error ratio')
    return `${(m.canary * 100).toFixed(1)}% vs stable ${(m.stable * 100).toFixed(1)}% (${formatP(m.p)})`;
  const ratio = m.stable > 0 ? ` (${(m.canary / m.stable).toFixed(1)}×)` : '';
  return `${(m.canary * 1000).toFixed(1)} ms vs stable ${(m.stable * 1000).toFixed(1)} ms${ratio} (${formatP(m.p)})`;
}

/** A p-value as a reader wants it: below 0.001 the digits are noise of the approximation. */
export function formatP(p: number): string {
  return p < 0.001 ? 'p<0.001' : `p=${p.toPrecision(2)}`;
}
