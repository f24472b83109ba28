import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mannWhitneyGreater, normalUpperTail } from '../src/report/mann-whitney.ts';
import { formatP, judge, median } from '../src/report/verdict.ts';
import { nextStep } from '../src/report-command.ts';

const repeat = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));

describe('canary analysis', () => {
  it('Mann-Whitney U: ranks, ties and the one-sided p-value', () => {
    assert.ok(Math.abs(normalUpperTail(1.6449) - 0.05) < 1e-4);
    assert.ok(Math.abs(normalUpperTail(0) - 0.5) < 1e-9);
    // U counts the pairs where a beats b: all 25 here.
    const clear = mannWhitneyGreater([6, 7, 8, 9, 10], [1, 2, 3, 4, 5]);
    assert.equal(clear.u, 25);
    assert.ok(clear.p < 0.01, `p ${clear.p}`);
    const same = mannWhitneyGreater([1, 2, 3, 4, 5], [1, 2, 3, 4, 5]);
    assert.equal(same.u, 12.5);
    assert.ok(same.p > 0.4);
    const reversed = mannWhitneyGreater([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]);
    assert.ok(reversed.p > 0.99);
    const ties = mannWhitneyGreater([2, 2, 2, 3], [1, 2, 2, 2]);
    assert.equal(ties.u, 11.5, '3 beats 4, each 2 beats the 1 (3), and 9 ties count half');
  });

  const steady = (n: number, value: number, jitter = 0.0005) => repeat(n, (i) => value + (i % 3) * jitter);
  const samples = (over: Partial<{ p50: number; p99: number; errors: number; rate: number }>) => ({
    service: 'api-service',
    rate: { canary: steady(20, over.rate ?? 5, 0.1), stable: steady(20, 5, 0.1) },
    errorRatio: { canary: steady(20, over.errors ?? 0, 0), stable: steady(20, 0, 0) },
    p50: { canary: steady(20, over.p50 ?? 0.01), stable: steady(20, 0.01) },
    p99: { canary: steady(20, over.p99 ?? 0.05), stable: steady(20, 0.05) },
  });

  it('passes a canary like stable, fails one slower or failing beyond tolerance, naming the metric', () => {
    assert.equal(judge(samples({}), 2).verdict, 'pass');
    assert.equal(judge(samples({ p50: 0.011 }), 2).verdict, 'pass', '10% slower is within tolerance');
    const slow = judge(samples({ p50: 0.2, p99: 0.25 }), 2);
    assert.equal(slow.verdict, 'fail');
    assert.match(slow.reason, /p50 latency 200\.\d ms vs stable 10\.\d ms/);
    assert.match(slow.reason, /p99 latency/);
    const failing = judge(samples({ errors: 0.2 }), 2);
    assert.equal(failing.verdict, 'fail');
    assert.match(failing.reason, /error ratio 20\.0% vs stable 0\.0%/);
  });

  it('gives no verdict without enough canary traffic', () => {
    const quiet = judge(samples({ rate: 0.5 }), 2);
    assert.equal(quiet.verdict, 'not enough traffic');
    assert.match(quiet.reason, /canary served 24 requests in 20 intervals \(needs 50/);
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 2, 3]), 2.5);
  });

  it('without a verdict the report says what to do next: which traffic, for how long, or which PR to add', () => {
    const quiet = judge(samples({ rate: 0.5 }), 2);
    const next = nextStep(124, 600, 15, [quiet]) ?? '';
    assert.match(next, /send PR 124 at least 50 requests .* at least 8 steps of 15 s \(120 s\)/);
    assert.match(next, /-H 'X-Canary: 124'/);
    assert.match(next, /--window 2m --step 2s/, 'a shorter window for the default 10 minutes');
    assert.doesNotMatch(nextStep(124, 120, 2, [quiet]) ?? '', /--window/);
    assert.match(nextStep(124, 600, 15, []) ?? '', /\.\/canary lab add 124 starts it.*\n.*send PR 124/s);
    assert.equal(nextStep(124, 600, 15, [judge(samples({}), 2)]), undefined, 'a verdict needs no advice');
  });

  it('prints p-values below 0.001 as a bound, others to two figures', () => {
    assert.equal(formatP(0), 'p<0.001');
    assert.equal(formatP(0.00012), 'p<0.001');
    assert.equal(formatP(0.0123), 'p=0.012');
    assert.equal(formatP(1), 'p=1.0');
  });
});
