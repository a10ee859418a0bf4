import { describe, expect, it } from 'vitest';
import { decimateMinMax } from '../../renderer/src/lib/decimate.ts';
import { fileName, fmtDeg, fmtDegBeside, fmtDuration, fmtSteer, fmtLoss, fmtPct } from '../../renderer/src/lib/format.ts';
import { ColorRegistry, PALETTE } from '../../renderer/src/lib/colors.ts';
import { binCentreLabels, gradHeatmap, experimentEta, startRun, addStep, type LiveRun } from '../../renderer/src/lib/series.ts';
import { RunConfig } from '../../src/train/config.ts';

describe('decimateMinMax', () => {
  it('keeps short series as they are', () => {
    const pts = [{ x: 0, y: 1 }, { x: 1, y: 2 }];
    expect(decimateMinMax(pts, 100)).toEqual(pts);
  });
  it('draws 100,000 points as at most the budget and keeps the spike and the ends', () => {
    const pts = Array.from({ length: 100_000 }, (_, i) => ({ x: i, y: Math.sin(i / 1000) }));
    pts[54_321] = { x: 54_321, y: 1e6 };
    pts[77_777] = { x: 77_777, y: -1e6 };
    const d = decimateMinMax(pts, 2000);
    expect(d.length).toBeLessThanOrEqual(2001);
    expect(d.length).toBeGreaterThan(1000);
    expect(d).toContainEqual({ x: 54_321, y: 1e6 });
    expect(d).toContainEqual({ x: 77_777, y: -1e6 });
    expect(d[0]).toEqual(pts[0]);
    expect(d[d.length - 1]).toEqual(pts[pts.length - 1]);
    for (let i = 1; i < d.length; i++) expect(d[i].x).toBeGreaterThan(d[i - 1].x);
  });
});

describe('formatting carries units', () => {
  it('degrees, steering direction, durations, losses, fractions', () => {
    expect(fmtDeg(4.1234)).toBe('4.12°');
    expect(fmtDeg(27.34)).toBe('27.3°');
    expect(fmtDeg(-410.2)).toBe('-410°');
    expect(fmtDeg(null)).toBe('—');
    expect(fmtDeg(NaN)).toBe('—');
    expect(fmtSteer(12.34)).toBe('12.3° right');
    expect(fmtSteer(-4)).toBe('4.00° left');
    expect(fmtDuration(42)).toBe('42 s');
    expect(fmtDuration(185)).toBe('3 min 05 s');
    expect(fmtDuration(3720)).toBe('1 h 02 min');
    expect(fmtLoss(0.00012)).toBe('1.20e-4');
    expect(fmtPct(0.25)).toBe('25%');
  });
  it('file names of POSIX and Windows paths', () => {
    expect(fileName('/data/drives/a.mp4')).toBe('a.mp4');
    expect(fileName('C:\\drives\\b.csv')).toBe('b.csv');
    expect(fileName('tub_1')).toBe('tub_1');
    expect(fileName('/data/tub/')).toBe('tub');
    expect(fileName('/')).toBe('/');
  });
});

describe('ColorRegistry', () => {
  it('gives a run the same colour every time and distinct colours to distinct runs', () => {
    const c = new ColorRegistry();
    const a = c.colorOf('head=linear, targets=raw');
    const b = c.colorOf('head=tanh, targets=raw');
    expect(a).not.toBe(b);
    expect(c.colorOf('head=linear, targets=raw')).toBe(a);
    expect([a, b]).toEqual(PALETTE.slice(0, 2));
  });
});

const layer = (name: string, gradNorm: number) => ({ name, gradNorm, weightNorm: 1, updateRatio: null, actMean: null, actStd: null, deadFraction: null, saturatedFraction: null, nonFinite: 0 });

describe('series', () => {
  it('lays out the gradient heatmap as layers x steps of log10 norms, non-finite as NaN', () => {
    const h = gradHeatmap([
      { step: 0, epoch: 0, layers: [layer('conv1', 1e-3), layer('head', 10)], heads: [] },
      { step: 10, epoch: 0, layers: [layer('conv1', Infinity), layer('head', 1)], heads: [] },
    ]);
    expect(h.layers).toEqual(['conv1', 'head']);
    expect(h.steps).toEqual([0, 10]);
    expect(h.log10[0][0]).toBeCloseTo(-3, 12);
    expect(h.log10[0][1]).toBeNaN();
    expect(h.log10[1]).toEqual([1, 0]);
  });

  it('estimates the experiment ETA from the current run plus the runs still to go', () => {
    const config = RunConfig.parse({ epochs: 2, batchSize: 8 });
    let r: LiveRun = startRun({ experimentId: 'e', runId: 'r1', index: 0, total: 3, name: 'a', config });
    expect(experimentEta([r])).toBeNull();
    // 10 steps per epoch, 2 epochs: 20 steps per run; 80 samples/s at batch 8 = 0.1 s per step.
    r = addStep(r, { experimentId: 'e', runId: 'r1', step: { type: 'step', step: 4, epoch: 0, stepsPerEpoch: 10, loss: 1, learningRate: 1e-3, samplesPerS: 80, etaS: 1.5 } });
    // 1.5 s left in this run + 2 runs x 20 steps x 0.1 s = 5.5 s
    expect(experimentEta([r])).toBeCloseTo(5.5, 10);
  });
});

describe('histogram bin labels', () => {
  it('give neighbouring bins distinct centres with as few decimals as the bin width allows', () => {
    const narrow = Array.from({ length: 18 }, (_, i) => -0.06 + i * 0.005);
    const labels = binCentreLabels(narrow);
    expect(labels).toHaveLength(17);
    expect(labels[0]).toMatch(/^-0\.05[78]$/);
    expect(new Set(labels).size).toBe(17);
    expect(binCentreLabels([-2, -1, 0, 1, 2])).toEqual(['-1.5', '-0.5', '0.5', '1.5']);
    expect(binCentreLabels([0, 100, 200])).toEqual(['50', '150']);
    expect(binCentreLabels([1])).toEqual([]);
  });
});

describe('fmtDegBeside', () => {
  it('shows a baseline with the digits it takes to differ from the model, or says equal', () => {
    expect(fmtDegBeside(42.04, 15.88)).toBe('42.0°');
    expect(fmtDegBeside(19.43, 19.38)).toBe('19.43° (model 19.38°)');
    expect(fmtDegBeside(94.3125, 94.3125)).toBe('94.3°, equal');
    expect(fmtDegBeside(94.31251, 94.31252)).toBe('94.31251° (model 94.31252°)');
    expect(fmtDegBeside(null, 3)).toBe('—');
  });
});
