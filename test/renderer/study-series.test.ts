/**
 * The Study view's mappers from measurements to chart series, on small
 * hand-built measurement objects: the right numbers land at the right x,
 * percentages are x100, log axes drop (and count) zeros and nulls, and the
 * theory lines appear at initialisation only.
 */
import { describe, expect, it } from 'vitest';
import type { StudyResults } from '../../src/contract/index.ts';
import {
  backpropCurves, cnnHeatmaps, fmtNum, initActivationCharts, initActivationSteps, multiLossBars, multiLossHistory,
  outputHeadMaeSeries, reluEpochSeries, reluRunName, spansDecade, toPoints,
} from '../../renderer/src/lib/study-series.ts';

type IA = StudyResults['init-activation'];
const set = (arch: 'dense' | 'conv', init: IA['layers'][number]['init'], activation: IA['layers'][number]['activation'], std: (number | null)[]): IA['layers'][number] => ({
  arch, init, activation,
  activationStd: std,
  gradNorm: std.map((s) => (s === null ? null : s * 10)),
  theoryActivationStd: std.map(() => 0.5),
  theoryGradNorm: std.map(() => 5),
  varW: 0.1, fanInGain: 2, stdRatio: 1, theoryStdRatio: 1, gradRatio: 1,
  stepActivationStd: [std.map((s) => (s === null ? null : s / 2))],
  stepGradNorm: [std.map(() => 1)],
});

describe('formatting and points', () => {
  it('fmtNum: 3 significant digits, exponent form for tiny and huge, a dash for missing', () => {
    expect(fmtNum(0.0106348)).toBe('0.0106');
    expect(fmtNum(9.6857e-8)).toBe('9.69e-8');
    expect(fmtNum(123456)).toBe('1.23e+5');
    expect(fmtNum(68.5612)).toBe('68.6');
    expect(fmtNum(0)).toBe('0');
    expect(fmtNum(null)).toBe('—');
    expect(fmtNum(NaN)).toBe('—');
  });

  it('toPoints keeps finite values, drops null/NaN, and on a log axis drops 0 and negatives too', () => {
    expect(toPoints([1, null, NaN, 0, -2, 3], (i) => i + 1, false)).toEqual({ points: [{ x: 1, y: 1 }, { x: 4, y: 0 }, { x: 5, y: -2 }, { x: 6, y: 3 }], dropped: 2 });
    expect(toPoints([1, null, NaN, 0, -2, 3], (i) => i + 1, true)).toEqual({ points: [{ x: 1, y: 1 }, { x: 6, y: 3 }], dropped: 4 });
  });

  it('spansDecade is true only when positive values differ by 10x or more', () => {
    const s = (ys: number[]) => [{ label: 'a', color: '#000', points: ys.map((y, x) => ({ x, y })) }];
    expect(spansDecade(s([4e-8, 9.7e-8]))).toBe(false);
    expect(spansDecade(s([1e-8, 1e-7]))).toBe(true);
    expect(spansDecade(s([0, 5]))).toBe(false); // 0 cannot be on a log axis
  });
});

describe('init-activation charts', () => {
  const m: IA = {
    engine: 'cpu', depth: { dense: 3, conv: 2 }, width: { dense: 8, conv: 2 }, conclusions: ['x'],
    layers: [
      set('dense', 'he_normal', 'relu', [1, 1.1, 0.9]),
      set('dense', 'normal_0.01', 'relu', [0.1, 1e-3, 0]), // the last layer underflowed to exactly 0
      set('dense', 'he_normal', 'tanh', [0.8, 0.7, 0.6]),
      set('conv', 'he_normal', 'relu', [1, 1]),
    ],
  };

  it('one chart pair per activation of the chosen architecture, layer 1 first, theory dashed at initialisation', () => {
    const charts = initActivationCharts(m, 'dense', 0);
    expect(charts.map((c) => c.activation)).toEqual(['relu', 'tanh']);
    const relu = charts[0];
    expect(relu.std.map((s) => [s.label, !!s.dashed])).toEqual([['he_normal', false], ['he_normal theory', true], ['normal_0.01', false], ['normal_0.01 theory', true]]);
    expect(relu.std[0].points).toEqual([{ x: 1, y: 1 }, { x: 2, y: 1.1 }, { x: 3, y: 0.9 }]);
    expect(relu.grad[0].points.map((p) => p.y)).toEqual([10, 11, 9]);
    expect(relu.std[1].points.every((p) => p.y === 0.5)).toBe(true);
    // The exact zero cannot be drawn on the log axis: dropped and counted, for std and for the gradient (0 x 10).
    expect(relu.std[2].points).toHaveLength(2);
    expect(relu.droppedStd).toBe(1);
    expect(relu.droppedGrad).toBe(1);
    expect(relu.std[0].color).not.toBe(relu.std[2].color);
    expect(initActivationCharts(m, 'conv', 0).map((c) => c.activation)).toEqual(['relu']);
  });

  it('after step k shows the step-k measurement without theory lines', () => {
    expect(initActivationSteps(m)).toBe(1);
    const relu = initActivationCharts(m, 'dense', 1)[0];
    expect(relu.std.map((s) => s.label)).toEqual(['he_normal', 'normal_0.01']);
    expect(relu.std[0].points.map((p) => p.y)).toEqual([0.5, 0.55, 0.45]);
    expect(relu.grad[0].points.map((p) => p.y)).toEqual([1, 1, 1]);
  });
});

describe('relu-blowup, multi-loss, deep CNN, output head, backprop', () => {
  it('relu-blowup: accuracy per epoch in %, remedies dashed, zeros dropped on the log weight-norm axis', () => {
    const run = (role: 'sweep' | 'l2', acc: (number | null)[], wn: number[]) => ({
      activation: 'relu' as const, lr: 3, l2: role === 'l2' ? 0.01 : 0, clip: null, init: 'he' as const, role, diverged: true, divergedEpoch: 1,
      failure: 'diverged' as const, divergedBy: 'loss' as const, initialWeightNorm: 9, finalTrainLoss: 2.3, testAccuracy: 0.1, maxActivation: 0, maxWeightNorm: 200, deadFraction: 1,
      epochs: acc.map((a, i) => ({ epoch: i + 1, trainLoss: 2.3, testAccuracy: a, maxActivation: 0, weightNorm: wn[i] })),
    });
    const m = { engine: 'cpu', trainSize: 10, testSize: 10, epochsPerRun: 2, blowupActivation: 1e4, blowupWeightFactor: 100, runs: [run('sweep', [0.5, null], [9, 0]), run('l2', [0.25, 0.3], [5, 4])], conclusions: [] } as StudyResults['relu-blowup'];
    const acc = reluEpochSeries(m, 'testAccuracy');
    expect(acc[0].points).toEqual([{ x: 1, y: 50 }]); // null (non-finite) accuracy is not drawn
    expect(acc[1].points).toEqual([{ x: 1, y: 25 }, { x: 2, y: 30 }]);
    expect([acc[0].dashed, acc[1].dashed]).toEqual([false, true]);
    expect(reluEpochSeries(m, 'weightNorm', true)[0].points).toEqual([{ x: 1, y: 9 }]);
    expect(reluRunName(m.runs[1])).toBe('relu he lr 3 + l2');
  });

  it('multi-loss: bars per head with their weights, shares in %, history column per head', () => {
    const m = {
      engine: 'cpu', additivityMaxAbsError: 1e-7, additivityRelError: 1e-6, trunkGradNorm: 1, conclusions: [],
      heads: [
        { name: 'steer', lossWeight: 1, rawLoss: 0.1, weightedLoss: 0.1, gradShare: 0.25, weightedGradNorm: 1, cosineWithTotal: 0.5 },
        { name: 'speed', lossWeight: 0.5, rawLoss: 8, weightedLoss: 4, gradShare: 0.75, weightedGradNorm: 1, cosineWithTotal: 0.9 },
      ],
      history: { step: [0, 10], rawLoss: [[1, 10], [0.5, 8]], weightedLoss: [[1, 5], [0.5, 4]], gradShare: [[0.6, 0.4], [0.25, 0.75]], additivityMaxAbsError: [1e-7, 5e-8] },
    } as StudyResults['multi-loss'];
    const b = multiLossBars(m);
    expect(b.labels).toEqual(['steer (weight 1)', 'speed (weight 0.5)']);
    expect(b.loss.map((s) => s.values)).toEqual([[0.1, 8], [0.1, 4]]);
    expect(b.share[0].values).toEqual([25, 75]);
    const share = multiLossHistory(m, 'gradShare', false);
    expect(share.map((s) => s.label)).toEqual(['steer', 'speed']);
    expect(share[1].points).toEqual([{ x: 0, y: 40 }, { x: 10, y: 75 }]);
    expect(multiLossHistory(m, 'rawLoss', true)[0].points).toEqual([{ x: 0, y: 1 }, { x: 10, y: 0.5 }]);
  });

  it('deep CNN: log10 heatmaps with one colour range across runs; zero and null gradients are grey (NaN)', () => {
    const run = (activation: 'sigmoid' | 'relu', batchnorm: boolean, grid: (number | null)[][]) => ({
      activation, batchnorm, firstToLastGradRatio: 0.1, valMaeDeg: 10, valRmseDeg: 12, maeByEpochDeg: [10], gradNormHeatmap: grid, heatmapSteps: [0, 5], lossBySteps: [1, 1], wallTimeS: 1,
    });
    const m = {
      engine: 'cpu', convLayers: 2, layerNames: ['conv1', 'conv2'], dataset: { source: 'demo', trainSamples: 1, valSamples: 1, input: { width: 8, height: 8 } },
      baselines: { zeroMaeDeg: 20, meanMaeDeg: 25 }, conclusions: [],
      runs: [run('sigmoid', false, [[0.001, 0.01], [1, null]]), run('relu', true, [[10, 100], [0, 1]])],
    } as StudyResults['deep-cnn-gradients'];
    const h = cnnHeatmaps(m);
    expect(h.runs.map((r) => r.name)).toEqual(['sigmoid', 'relu + BN']);
    expect(h.runs[0].values[0][0]).toBeCloseTo(-3, 12);
    expect(h.runs[0].values[1][1]).toBeNaN();
    expect(h.runs[1].values[1][0]).toBeNaN();
    expect(h.range!.lo).toBeCloseTo(-3, 12);
    expect(h.range!.hi).toBeCloseTo(2, 12);
    expect(h.runs[1].steps).toEqual([0, 5]);
  });

  it('output head: MAE per epoch from epoch 1, constant predictors as flat dashed lines over all epochs', () => {
    const r = (head: string, mae: number[]) => ({ head, targets: 'raw', status: 'completed', valMaeDeg: mae.at(-1)!, valRmseDeg: 1, sharpMaeDeg: 1, headSaturation: 0, headSaturationOverSteps: [], headGradNorm: 1, firstLayerGradNorm: 1, predMinDeg: 0, predMaxDeg: 1, epochsToTarget: 1, maeByEpochDeg: mae });
    const m = { engine: 'cpu', dataset: null, baselines: { zeroMaeDeg: 7, meanMaeDeg: 8, zeroRmseDeg: 9, meanRmseDeg: 10 }, targetMaeDeg: 6, epochs: 3, runs: [r('linear', [5, 4, 3]), r('tanh', [6, 5])], conclusions: [] } as unknown as StudyResults['output-head'];
    const s = outputHeadMaeSeries(m);
    expect(s.map((x) => x.label)).toEqual(['linear / raw', 'tanh / raw', 'always 0° (zero predictor)', 'training mean (mean predictor)']);
    expect(s[0].points).toEqual([{ x: 1, y: 5 }, { x: 2, y: 4 }, { x: 3, y: 3 }]);
    expect(s[2]).toMatchObject({ dashed: true, points: [{ x: 1, y: 7 }, { x: 3, y: 7 }] });
    expect(outputHeadMaeSeries({ ...m, baselines: null })).toHaveLength(2);
  });

  it('backprop-vs-gd: training curves at their recorded steps', () => {
    const m = { trainCurves: { step: [0, 30, 60], relu: [2, 0.5, 0.1], linear: [2, 0.6, 0.6] } } as StudyResults['backprop-vs-gd'];
    const [relu, linear] = backpropCurves(m);
    expect(relu.points).toEqual([{ x: 0, y: 2 }, { x: 30, y: 0.5 }, { x: 60, y: 0.1 }]);
    expect(linear.label).toMatch(/linear/);
  });
});
