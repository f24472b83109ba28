/**
 * Mann-Whitney U test, one-sided: is `a` stochastically greater than `b`? Normal
 * approximation with tie correction and continuity correction (fine from about 8 values
 * per side, which the report requires). The same test Kayenta's canary judge uses for
 * metric time series: no assumption of normal distributions, robust to latency outliers.
 */
export interface MannWhitneyResult {
  readonly u: number;
  /** P(values like these | a is not greater than b). */
  readonly p: number;
}

/** Standard normal upper tail, P(Z > z) (Abramowitz-Stegun 7.1.26, error < 1.5e-7). */
export function normalUpperTail(z: number): number {
  const t = 1 / (1 + 0.3275911 * (Math.abs(z) / Math.SQRT2));
  const erf =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-(z * z) / 2);
  const cdf = z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
  return 1 - cdf;
}

export function mannWhitneyGreater(a: readonly number[], b: readonly number[]): MannWhitneyResult {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) return { u: 0, p: 1 };
  const all = [...a.map((v) => ({ v, first: true })), ...b.map((v) => ({ v, first: false }))].sort(
    (x, y) => x.v - y.v,
  );
  // Average ranks for ties; the tie term for the variance.
  let rankSumA = 0;
  let ties = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]?.v === all[i]?.v) j += 1;
    const rank = (i + j + 2) / 2;
    const count = j - i + 1;
    ties += count ** 3 - count;
    for (let k = i; k <= j; k += 1) if (all[k]?.first) rankSumA += rank;
    i = j + 1;
  }
  const u = rankSumA - (n1 * (n1 + 1)) / 2;
  const n = n1 + n2;
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - ties / (n * (n - 1)));
  if (variance <= 0) return { u, p: u > mean ? 0 : 1 };
  const z = (u - mean - 0.5) / Math.sqrt(variance);
  return { u, p: normalUpperTail(z) };
}
