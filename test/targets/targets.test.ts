import { describe, it, expect } from 'vitest';
import { angleBins, createTargetTransform, evaluateDeg, metricsDeg, transformFromParams } from '../../src/targets/index.ts';

const train = new Float32Array([-120, -10, 0, 3, 40, 200, NaN]);

describe('target transforms', () => {
  it('round-trip every kind and fit params on the training split only', () => {
    for (const kind of ['raw', 'normalized', 'standardized'] as const) {
      const t = createTargetTransform({ kind }, train);
      for (const d of [-420, -7.5, 0, 12.25, 333]) expect(t.toDeg(t.toTarget(d))).toBeCloseTo(d, 9);
      const again = transformFromParams(t.kind, t.params);
      expect(again.toTarget(77)).toBeCloseTo(t.toTarget(77), 12);
    }
    const n = createTargetTransform({ kind: 'normalized' }, train);
    expect(n.params.fullScaleDeg).toBe(200);
    expect(n.toTarget(-200)).toBe(-1);
    expect(createTargetTransform({ kind: 'normalized', fullScaleDeg: 420 }, train).toTarget(210)).toBe(0.5);
    const s = createTargetTransform({ kind: 'standardized' }, train);
    const vals = [-120, -10, 0, 3, 40, 200];
    const mean = vals.reduce((a, b) => a + b) / 6;
    const std = Math.sqrt(vals.reduce((a, b) => a + (b - mean) ** 2, 0) / 6);
    expect(s.params.meanDeg).toBeCloseTo(mean, 4);
    expect(s.params.stdDeg).toBeCloseTo(std, 4);
    expect(s.toTarget(mean + std)).toBeCloseTo(1, 9);
  });
  it('degenerate training splits stay invertible', () => {
    const z = createTargetTransform({ kind: 'normalized' }, new Float32Array([0, 0]));
    expect(z.toDeg(z.toTarget(5))).toBe(5);
    expect(() => createTargetTransform({ kind: 'standardized' }, new Float32Array([NaN]))).toThrow();
  });
});

describe('metrics in degrees', () => {
  it('hand-made predictions', () => {
    // errors: 1, -2, 10, -40 ; true |a|: 0 (straight), 1 (straight), 50 (gentle), 100 (sharp, bins given)
    const trueDeg = [0, -1, 50, 100, NaN];
    const pred = [1, -3, 60, 60, 123];
    const m = metricsDeg(pred, trueDeg, [{ name: 'straight', loDeg: 0, hiDeg: 2 }, { name: 'gentle', loDeg: 2, hiDeg: 90 }, { name: 'sharp', loDeg: 90, hiDeg: null }]);
    expect(m.n).toBe(4);
    expect(m.maeDeg).toBeCloseTo((1 + 2 + 10 + 40) / 4, 10);
    expect(m.rmseDeg).toBeCloseTo(Math.sqrt((1 + 4 + 100 + 1600) / 4), 10);
    expect(m.maxErrDeg).toBe(40);
    expect(m.bins.map((b) => [b.name, b.n])).toEqual([['straight', 2], ['gentle', 1], ['sharp', 1]]);
    expect(m.bins[0].maeDeg).toBeCloseTo(1.5, 10);
    expect(m.bins[0].rmseDeg).toBeCloseTo(Math.sqrt(2.5), 10);
    expect(m.bins[2].maeDeg).toBe(40);
  });
  it('angle bins come from the drive: straight below 2 degrees, sharp from the top decile of |angle|', () => {
    // A highway drive within +-55 degrees: 0..54 in steps of 1 (and mirrored), p90 of |angle| = 49.
    const highway = Array.from({ length: 110 }, (_, i) => (i % 2 ? 1 : -1) * Math.floor(i / 2));
    expect(angleBins(highway)).toEqual([
      { name: 'straight', loDeg: 0, hiDeg: 2 }, { name: 'gentle', loDeg: 2, hiDeg: 49 }, { name: 'sharp', loDeg: 49, hiDeg: null },
    ]);
    // A city drive sweeping the wheel: the sharp edge moves up (two significant figures).
    expect(angleBins(highway.map((a) => a * 7.6))[2].loDeg).toBe(370);
    // A drive that hardly steers keeps ordered bins; no angles at all too.
    expect(angleBins([0, 0.5, -1, 1])[2].loDeg).toBe(4);
    expect(angleBins([])[1]).toEqual({ name: 'gentle', loDeg: 2, hiDeg: 4 });
    // With the drive's own bins the sharp bin is never empty, whatever the wheel's range.
    const m = metricsDeg(highway.map(() => 0), highway);
    expect(m.bins[2].n).toBeGreaterThan(0);
  });
  it('empty bins are null, empty input is NaN', () => {
    const m = metricsDeg([1], [2]);
    expect(m.bins[2].maeDeg).toBeNull();
    expect(Number.isNaN(metricsDeg([], []).maeDeg)).toBe(true);
    expect(() => metricsDeg([1, 2], [1])).toThrow();
  });
  it('baselines: zero and training mean', () => {
    const e = evaluateDeg([10, 10], [10, -30], -5);
    expect(e.model.maeDeg).toBe(20);
    expect(e.zero.maeDeg).toBe(20);
    expect(e.mean.maeDeg).toBe((15 + 25) / 2);
  });
});
