import { describe, expect, it } from 'vitest';
import { angleStats } from '../../src/data/stats.ts';

describe('angleStats', () => {
  it('matches hand-computed values and skips NaN and +-Inf', () => {
    const s = angleStats(Float32Array.from([-10, NaN, 0, 10, 20, Infinity, -Infinity]));
    expect(s.n).toBe(4);
    expect(s.minDeg).toBe(-10);
    expect(s.maxDeg).toBe(20);
    expect(s.meanDeg).toBe(5);
    // deviations -15, -5, 5, 15 -> mean square 125
    expect(s.stdDeg).toBeCloseTo(Math.sqrt(125), 12);
    expect(s.histogram.counts.reduce((a, b) => a + b, 0)).toBe(4);
  });

  it('histogram bins are centred on multiples of a 1/2/5 width, one centred on 0 deg', () => {
    const s = angleStats([0, 0, 0, 1.2, -9.9, 10], { bins: 10 });
    // max |x| 10, 2*10/10 = 2 deg width; centres -10..10 -> 11 bins, edges -11..11.
    expect(s.histogram.edgesDeg[0]).toBe(-11);
    expect(s.histogram.edgesDeg.at(-1)).toBe(11);
    expect(s.histogram.counts).toHaveLength(11);
    expect(s.histogram.counts[5]).toBe(3); // [-1, 1): the three zeros
    expect(s.histogram.counts[6]).toBe(1); // [1, 3): 1.2
    expect(s.histogram.counts[0]).toBe(1); // [-11, -9): -9.9
    expect(s.histogram.counts[10]).toBe(1); // [9, 11): 10
  });

  it('empty and all-NaN input give n = 0, NaN statistics and an empty histogram', () => {
    for (const x of [[], [NaN, NaN]]) {
      const s = angleStats(x);
      expect(s.n).toBe(0);
      expect(Number.isNaN(s.meanDeg)).toBe(true);
      expect(s.histogram).toEqual({ edgesDeg: [], counts: [] });
    }
  });

  it('all zeros: one bin around 0', () => {
    const s = angleStats([0, 0]);
    expect(s.stdDeg).toBe(0);
    expect(s.histogram.counts).toEqual([2]);
  });

  it('is stable for a large mean (two passes: mean, then deviations)', () => {
    const x = Array.from({ length: 1000 }, (_, i) => 1e7 + (i % 2 ? 1 : -1));
    // sum of squares minus n * mean^2 would lose every digit here (1e14 against 1).
    expect(angleStats(x).stdDeg).toBeCloseTo(1, 9);
  });
});
