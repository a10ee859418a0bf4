import { describe, it, expect } from 'vitest';
import { computeFindings, DEAD_FRACTION_WARN, VANISHING_RATIO, type FindingsInput } from '../../src/diagnostics/index.ts';
import { Finding, type DiagnosticsSnapshot, type LayerDiag, type HeadDiag } from '../../src/diagnostics/types.ts';
import { evaluateDeg } from '../../src/targets/index.ts';

const layer = (name: string, over: Partial<LayerDiag> = {}): LayerDiag => ({
  name, gradNorm: 1, weightNorm: 1, updateRatio: 1e-3, actMean: 0, actStd: 1, deadFraction: null, saturatedFraction: null, nonFinite: 0, ...over,
});
const head = (over: Partial<HeadDiag> = {}): HeadDiag => ({
  name: 'head', preMean: 0, preStd: 1, preMin: -1, preMax: 1, histogram: { edges: [], counts: [] }, saturatedFraction: 0,
  predMin: -1, predMax: 1, targetMin: -1, targetMax: 1, lossRaw: 1, lossWeight: 1, lossWeighted: 1, ...over,
});
const snap = (step: number, layers: LayerDiag[], heads: HeadDiag[] = [head()]): DiagnosticsSnapshot => ({ step, epoch: 0, layers, heads });
const base = (over: Partial<FindingsInput>): FindingsInput => ({ snapshots: [], trunkLayers: ['conv1', 'dense1'], head: { name: 'head', kind: 'linear', range: null }, ...over });
const kinds = (fs: Finding[]) => fs.map((f) => f.kind);

describe('computeFindings', () => {
  it('every finding is schema-valid and quotes its evidence', () => {
    const fs = computeFindings(base({
      snapshots: [snap(0, [layer('conv1', { gradNorm: 1e-5, deadFraction: 0.9 }), layer('dense1'), layer('head', { gradNorm: 0.5 })], [head({ saturatedFraction: 0.8, preMin: -6, preMax: 7 })])],
      head: { name: 'head', kind: 'tanh', range: { min: -1, max: 1 } },
      trainTargets: [-420, 0, 12, 420], toDeg: (t) => t,
      epochTrainLoss: [10, 9.9],
      evaluation: evaluateDeg([0.5, -0.5, 0.5], [10, -300, 0.5], 0),
    }));
    for (const f of fs) expect(Finding.parse(f)).toBeTruthy();
    expect(kinds(fs)).toEqual(expect.arrayContaining(['vanishing-gradients', 'dead-units', 'saturated-head', 'targets-outside-head-range', 'loss-not-decreasing']));
    const v = fs.find((f) => f.kind === 'vanishing-gradients')!;
    expect(v.evidence.ratio).toBeCloseTo(2e-5, 12);
    expect(v.evidence.threshold).toBe(VANISHING_RATIO);
    expect(v.message).toContain('2.00e-5');
    const t = fs.find((f) => f.kind === 'targets-outside-head-range')!;
    expect([t.evidence.headMax, t.evidence.targetMax, t.evidence.fractionOutside]).toEqual([1, 420, 0.75]);
    expect(t.message).toContain('420.00 deg');
    expect(t.message).toContain('1.00 deg');
    const d = fs.find((f) => f.kind === 'dead-units')!;
    expect(d.layer).toBe('conv1');
    expect(d.evidence.deadFraction).toBe(0.9);
    expect(d.evidence.threshold).toBe(DEAD_FRACTION_WARN);
    expect(d.message).toContain('90.0%');
    expect(kinds(fs)).not.toContain('healthy');
  });

  it('exploding gradients: growth over snapshots and too-large updates', () => {
    const fs = computeFindings(base({
      snapshots: [snap(0, [layer('conv1'), layer('dense1'), layer('head')]), snap(10, [layer('conv1', { gradNorm: 500, updateRatio: 0.4 }), layer('dense1', { gradNorm: 300 }), layer('head', { gradNorm: 400 })])],
    }));
    const ex = fs.filter((f) => f.kind === 'exploding-gradients');
    expect(ex.length).toBe(2);
    expect(ex[0].evidence.growth).toBeCloseTo(Math.sqrt(500 ** 2 + 300 ** 2 + 400 ** 2) / Math.sqrt(3), 6);
    expect(ex[1].evidence.updateRatio).toBe(0.4);
    expect(ex[1].message).toContain('40.0%');
  });

  it('worse than baseline: says when a model wins on MAE but loses on RMSE', () => {
    // errors 1,1,1,1 on gentle angles and 210 on the curve: MAE 42.8 < 48 (zero), RMSE sqrt(8820.8) = 93.92 > sqrt(8080) = 89.89
    const trueDeg = [10, -10, 10, -10, 200];
    const pred = [9, -9, 9, -9, -10];
    const fs = computeFindings(base({ evaluation: evaluateDeg(pred, trueDeg, 0) }));
    const w = fs.find((f) => f.kind === 'worse-than-baseline')!;
    expect(w.message).toContain('RMSE 93.92 deg vs 89.89 deg for the zero predictor');
    expect(w.message).not.toContain('MAE 42.80');
    expect(w.message).toContain('MAE only');
  });

  it('worse than baseline explains a prediction range much narrower than the targets', () => {
    const h = head({ predMinDeg: -1, predMaxDeg: 1, targetMinDeg: -200, targetMaxDeg: 180 });
    const fs = computeFindings(base({ snapshots: [snap(40, [layer('conv1'), layer('dense1'), layer('head')], [h])], evaluation: evaluateDeg([0, 0.5], [150, -100], 0) }));
    const w = fs.find((f) => f.kind === 'worse-than-baseline')!;
    expect(w.message).toContain('At step 40 the head predicted -1.00 deg to 1.00 deg for targets of -200.00 deg to 180.00 deg');
    expect(w.message).toContain('cover 0.53% of');
    expect(w.evidence.targetMinDeg).toBe(-200);
  });

  it('a model within 5% of the constant predictor on RMSE is flagged as barely better, not healthy', () => {
    // zero predictor RMSE = 100; model errors 97 on both frames: RMSE 97 (3% lower), MAE 97 < 100.
    const fs = computeFindings(base({ evaluation: evaluateDeg([3, -3], [100, -100], 0) }));
    expect(kinds(fs)).not.toContain('healthy');
    // Its own kind: the model does beat the constant, so 'worse-than-baseline' would be a false label.
    expect(kinds(fs)).not.toContain('worse-than-baseline');
    const w = fs.find((f) => f.kind === 'barely-better-than-baseline')!;
    expect(w.severity).toBe('warning');
    expect(w.message).toContain('Barely better than a constant: validation RMSE 97.00 deg vs 100.00 deg for the zero predictor, 3.0% lower');
    expect(w.evidence.margin).toBe(0.05);
    // 10% lower is a real improvement: no baseline finding.
    const better = kinds(computeFindings(base({ evaluation: evaluateDeg([10, -10], [100, -100], 0) })));
    expect(better).not.toContain('worse-than-baseline');
    expect(better).not.toContain('barely-better-than-baseline');
  });

  it('an angle that rounds to zero is written 0.00 deg, not -0.00 deg', () => {
    const fs = computeFindings(base({ head: { name: 'head', kind: 'tanh', range: { min: -1, max: 1 } }, trainTargets: [-3, -1e-9], toDeg: (t) => t * 100 }));
    const t = fs.find((f) => f.kind === 'targets-outside-head-range')!;
    expect(t.message).toContain('(-300.00 deg to 0.00 deg)');
    expect(t.message).not.toContain('-0.00');
  });

  it('non-finite guard finding names step and layer', () => {
    const fs = computeFindings(base({ nonFinite: { step: 17, layer: 'dense1', where: 'gradient', lastFiniteLoss: 3.5e6 } }));
    expect(fs[0]).toMatchObject({ kind: 'non-finite', severity: 'error', step: 17, layer: 'dense1' });
    expect(fs[0].message).toContain("step 17: the gradient of layer 'dense1'");
    expect(fs[0].message).toContain('3.50e+6');
  });

  it('a healthy run gets one info finding quoting its numbers, nothing else', () => {
    const fs = computeFindings(base({
      snapshots: [snap(0, [layer('conv1', { gradNorm: 0.3 }), layer('dense1'), layer('head', { gradNorm: 0.6 })])],
      epochTrainLoss: [10, 4],
      evaluation: evaluateDeg([9, -9], [10, -10], 0),
    }));
    expect(kinds(fs)).toEqual(['healthy']);
    expect(fs[0].message).toContain('0.500');
    expect(fs[0].message).toContain('1.00 deg vs 10.00 deg (zero)');
    expect(computeFindings(base({}))).toEqual([]);
  });
});
