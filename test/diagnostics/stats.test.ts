import { describe, it, expect } from 'vitest';
import { fractionAbove, headDiag, histogram, layerDiag, SATURATION_THRESHOLD } from '../../src/diagnostics/index.ts';
import { finiteMoments } from '../../src/math/stats.ts';
import { HeadDiag, LayerDiag } from '../../src/diagnostics/types.ts';

describe('diagnostic statistics', () => {
  it('finiteMoments handles empty, all-NaN and +-Inf input', () => {
    expect(finiteMoments([]).n).toBe(0);
    expect(Number.isNaN(finiteMoments([NaN, NaN]).mean)).toBe(true);
    const s = finiteMoments([1, Infinity, 3, -Infinity, NaN]);
    expect([s.n, s.mean, s.min, s.max, s.nonFinite]).toEqual([2, 2, 1, 3, 3]);
    expect(s.std).toBeCloseTo(1, 12);
  });
  it('histogram counts every finite value once', () => {
    const h = histogram([0, 0.5, 1, 1, NaN, Infinity], 4);
    expect(h.edges).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(h.counts).toEqual([1, 0, 1, 2]);
    expect(histogram([NaN], 3)).toEqual({ edges: [], counts: [] });
    expect(histogram([2, 2], 2).counts).toEqual([2, 0]);
  });
  it('layerDiag turns sums into norms, ratios and fractions', () => {
    const d = layerDiag({
      name: 'conv1', activation: 'relu', gradSq: 9, weightSq: 16, updateSq: 0.0016,
      act: { sum: 10, sumSq: 30, count: 5 }, dead: { units: 8, dead: 2 }, saturated: null, nonFinite: 0,
    });
    expect(LayerDiag.parse(d)).toBeTruthy();
    expect([d.gradNorm, d.weightNorm, d.actMean, d.deadFraction, d.saturatedFraction]).toEqual([3, 4, 2, 0.25, null]);
    expect(d.updateRatio).toBeCloseTo(0.01, 12);
    expect(d.actStd).toBeCloseTo(Math.sqrt(2), 12);
  });
  it('headDiag: saturation beyond the named threshold, none for a linear head', () => {
    expect(SATURATION_THRESHOLD).toBe(2);
    const pre = [-3, -1, 0, 2.5];
    const h = headDiag({ name: 'head', head: 'tanh', pre, pred: pre.map(Math.tanh), target: [-1, 0, 1, 400], lossRaw: 2, lossWeight: 0.5 });
    expect(HeadDiag.parse(h)).toBeTruthy();
    expect(h.saturatedFraction).toBe(0.5);
    expect([h.preMin, h.preMax, h.targetMax, h.lossWeighted]).toEqual([-3, 2.5, 400, 1]);
    expect(headDiag({ name: 'head', head: 'linear', pre, pred: pre, target: pre, lossRaw: 0, lossWeight: 1 }).saturatedFraction).toBe(0);
    expect(fractionAbove([], 1)).toBe(0);
  });
});
