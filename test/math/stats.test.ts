import { describe, expect, it } from 'vitest';
import { finiteMoments, niceStep } from '../../src/math/stats.ts';

describe('finiteMoments', () => {
  it('is stable for a large mean (two passes: mean, then deviations)', () => {
    const x = Array.from({ length: 1000 }, (_, i) => 1e7 + (i % 2 ? 1 : -1));
    // sum of squares minus n * mean^2 would lose every digit here (1e14 against 1).
    expect(finiteMoments(x).std).toBeCloseTo(1, 9);
  });

  it('handles empty, all-NaN and +-Inf input', () => {
    expect(finiteMoments([]).n).toBe(0);
    expect(Number.isNaN(finiteMoments([NaN, NaN]).mean)).toBe(true);
  });

  it('counts what it skipped and gives NaN moments for no finite value', () => {
    expect(finiteMoments([2, NaN, 4, Infinity, -Infinity, 9])).toEqual({ n: 3, mean: 5, std: Math.sqrt(26 / 3), min: 2, max: 9, nonFinite: 3 });
    const none = finiteMoments(new Float32Array([NaN]));
    expect([none.n, none.nonFinite]).toEqual([0, 1]);
    for (const v of [none.mean, none.std, none.min, none.max]) expect(Number.isNaN(v)).toBe(true);
  });
});

describe('niceStep', () => {
  it('rounds up to 1, 2 or 5 times a power of ten', () => {
    expect([0.3, 1, 1.5, 3, 7, 42].map(niceStep)).toEqual([0.5, 1, 2, 5, 10, 50]);
  });
});
