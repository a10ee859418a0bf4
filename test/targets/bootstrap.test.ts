import { describe, expect, it } from 'vitest';
import { chunkIds, decorrelationLag, meanSd, pairedBlockBootstrap } from '../../src/targets/bootstrap.ts';
import { createRng } from '../../src/rng.ts';

/** Autocorrelated errors (AR(1), as a model's errors along a drive are): e[i] = rho * e[i-1] + noise. */
function ar1(n: number, sd: number, rho: number, seed: number): Float64Array {
  const rng = createRng(seed);
  const e = new Float64Array(n);
  const innov = sd * Math.sqrt(1 - rho * rho);
  e[0] = rng.normal(0, sd);
  for (let i = 1; i < n; i++) e[i] = rho * e[i - 1] + rng.normal(0, innov);
  return e;
}

const N = 600;
const truth = Float64Array.from({ length: N }, (_, i) => 30 * Math.sin(i / 40));
const predWith = (err: Float64Array) => truth.map((t, i) => t + err[i]);
const sampleIndex = Array.from({ length: N }, (_, i) => (i < 300 ? i : i + 500)); // two validation blocks

describe('chunkIds', () => {
  it('cuts every chunkLen frames and at every jump in sample index (a block edge)', () => {
    expect(Array.from(chunkIds([0, 1, 2, 3, 4, 10, 11, 12], 3))).toEqual([0, 0, 0, 1, 1, 2, 2, 2]);
    expect(Array.from(chunkIds([], 20))).toEqual([]);
  });
});

describe('pairedBlockBootstrap', () => {
  const chunks = chunkIds(sampleIndex, 20);

  it('finds a known difference: B with a third of the error beats A, and the interval holds the true gap', () => {
    const a = [1, 2, 3].map((s) => predWith(ar1(N, 6, 0.95, s)));
    const b = [4, 5, 6].map((s) => predWith(ar1(N, 2, 0.95, s)));
    const r = pairedBlockBootstrap({ trueDeg: truth, a, b, chunks, metric: 'rmse', seed: 1 });
    expect(r.verdict).toBe('b-better');
    expect(r.meanDiffDeg).toBeGreaterThan(2);
    expect(r.ci95[0]).toBeGreaterThan(0);
    expect(r.ci95[0]).toBeLessThan(4); // the true RMSE gap is 6 - 2 = 4 degrees
    expect(r.ci95[1]).toBeGreaterThan(4);
    const swapped = pairedBlockBootstrap({ trueDeg: truth, a: b, b: a, chunks, metric: 'mae', seed: 1 });
    expect(swapped.verdict).toBe('a-better');
  });

  it('says "no difference" for two cells with the same error distribution, and is calibrated on autocorrelated errors', () => {
    // Under the null, a 95% interval should exclude 0 about 5% of the time. Resampling single frames
    // (chunkLen 1) ignores the autocorrelation and claims a winner far more often; 1-second chunks do not.
    const falsePositives = (chunkLen: number) => {
      let fp = 0;
      for (let t = 0; t < 60; t++) {
        const a = [predWith(ar1(N, 4, 0.9, 100 + 2 * t))];
        const b = [predWith(ar1(N, 4, 0.9, 101 + 2 * t))];
        const r = pairedBlockBootstrap({ trueDeg: truth, a, b, chunks: chunkIds(sampleIndex, chunkLen), metric: 'rmse', resamples: 400, seed: t });
        if (r.verdict !== 'no-difference') fp++;
      }
      return fp / 60;
    };
    // AR(1) with rho 0.9 decorrelates (below 0.1) after 22 frames; chunks of that length.
    const lag = decorrelationLag(ar1(20000, 1, 0.9, 9), 200);
    expect(lag).toBeGreaterThanOrEqual(18);
    expect(lag).toBeLessThanOrEqual(26);
    const blocky = falsePositives(lag);
    const frames = falsePositives(1);
    expect(blocky).toBeLessThanOrEqual(0.15);
    expect(frames).toBeGreaterThan(blocky + 0.2);
  });

  it('widens the interval when seeds disagree (seed-to-seed noise counts)', () => {
    const base = ar1(N, 3, 0.9, 7);
    const same = [predWith(base), predWith(base), predWith(base)];
    const spread = [1, 2, 3].map((s) => predWith(base.map((e) => e * (0.5 + 0.5 * s))));
    const ref = [predWith(ar1(N, 3, 0.9, 8))];
    const narrow = pairedBlockBootstrap({ trueDeg: truth, a: same, b: ref, chunks, metric: 'rmse', seed: 3 });
    const wide = pairedBlockBootstrap({ trueDeg: truth, a: spread, b: ref, chunks, metric: 'rmse', seed: 3 });
    expect(wide.ci95[1] - wide.ci95[0]).toBeGreaterThan(1.5 * (narrow.ci95[1] - narrow.ci95[0]));
  });

  it('refuses mismatched lengths and skips frames without a true angle', () => {
    expect(() => pairedBlockBootstrap({ trueDeg: truth, a: [truth.slice(1)], b: [truth], chunks, metric: 'rmse' })).toThrow(/predictions/);
    const t = Float64Array.from(truth);
    t[5] = NaN;
    const r = pairedBlockBootstrap({ trueDeg: t, a: [predWith(ar1(N, 2, 0.5, 1))], b: [predWith(ar1(N, 2, 0.5, 2))], chunks, metric: 'mae' });
    expect(Number.isFinite(r.meanDiffDeg)).toBe(true);
  });
});

describe('meanSd', () => {
  it('sample sd with n - 1, 0 for one value, NaN for none', () => {
    expect(meanSd([1, 2, 3])).toEqual({ mean: 2, sd: 1 });
    expect(meanSd([5])).toEqual({ mean: 5, sd: 0 });
    expect(meanSd([]).mean).toBeNaN();
  });
});
