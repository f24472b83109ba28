// Two stacks loaded at the same time, each by its own load generator: whatever else the
// shared machine does in that window slows both alike, so the ratio of their CPU per
// request is far steadier than two measurements taken one after the other (which moved
// 10–25% apart here). The estimate is the mean of the log ratios over rounds with its 95%
// confidence interval (Student's t), i.e. how precisely the cost is known.
import type { Load } from './load.ts';
import { loadItem, type Stack, targetOf } from './stack.ts';

export interface Side {
  readonly stack: Stack;
  readonly headers?: Record<string, string>;
}

/**
 * Warm-up of each stack's first round, s. Shorter, the traced stacks still cost 40–80%
 * more in their second and third rounds than later (the heap and JIT settling under their
 * own load), which is not the steady state a service runs in.
 */
export const FIRST_WARMUP_SECONDS = 15;
/** Warm-up of every later round, s: the connections open, the stacks are warm. */
export const ROUND_WARMUP_SECONDS = 0.5;

/**
 * Loads both sides at once; returns their measurements in the same order. `first`: the
 * stacks' first round, which warms them up for longer.
 */
export function loadSideBySide(
  sides: readonly [Side, Side],
  seconds: number,
  connections: number,
  first: boolean,
): Promise<[Load, Load]> {
  const warmupSeconds = first ? FIRST_WARMUP_SECONDS : ROUND_WARMUP_SECONDS;
  const run = ({ stack, headers }: Side) =>
    loadItem(targetOf(stack), { headers: headers ?? {}, seconds, connections, warmupSeconds });
  return Promise.all([run(sides[0]), run(sides[1])]);
}

// Two-sided 95% quantiles of Student's t by degrees of freedom (1..30); 1.96 beyond.
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
  2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

export interface Estimate {
  /** The ratio (geometric mean of the rounds' ratios) − 1. */
  readonly cost: number;
  /** Half the width of its 95% confidence interval, as a fraction (±). */
  readonly within: number;
  readonly rounds: number;
}

/** Mean of the log ratios with a t-interval, back on the ratio scale. */
export function estimate(ratios: readonly number[]): Estimate {
  const logs = ratios.map(Math.log);
  const n = logs.length;
  if (n < 2) throw new Error('estimate: at least two rounds are needed');
  const mean = logs.reduce((s, x) => s + x, 0) / n;
  const sd = Math.sqrt(logs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
  const half = (T975[n - 2] ?? 1.96) * (sd / Math.sqrt(n));
  const centre = Math.exp(mean);
  return {
    cost: centre - 1,
    within: Math.max(Math.exp(mean + half) - centre, centre - Math.exp(mean - half)),
    rounds: n,
  };
}

/** `+6.1% ± 2.6%`: the cost with the half-width of its interval. */
export function formatEstimate(e: Estimate): string {
  const pct = (x: number) => `${(Math.abs(x) * 100).toFixed(1)}%`;
  return `${e.cost >= 0 ? '+' : '−'}${pct(e.cost)} ± ${pct(e.within)}`;
}
