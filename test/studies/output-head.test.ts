import { describe, expect, it } from 'vitest';
import { concludeOutputHead, type OutputHeadMeasurements, type OutputHeadRun } from '../../src/studies/output-head.ts';

const run = (p: Partial<OutputHeadRun>): OutputHeadRun => ({
  head: 'linear', targets: 'normalized', status: 'completed', valMaeDeg: 10, valRmseDeg: 15, sharpMaeDeg: 30, headSaturation: 0, headSaturationOverSteps: [],
  headGradNorm: 0.1, firstLayerGradNorm: 0.2, predMinDeg: -300, predMaxDeg: 300, epochsToTarget: 1, maeByEpochDeg: [10], ...p,
});
const base: OutputHeadMeasurements = {
  engine: 'cpu', dataset: null, baselines: { zeroMaeDeg: 40, meanMaeDeg: 42, zeroRmseDeg: 80, meanRmseDeg: 81 }, targetMaeDeg: 20, epochs: 3,
  runs: [run({}), run({ head: 'tanh', targets: 'raw', valMaeDeg: 38, sharpMaeDeg: 250, headSaturation: 0.97, predMinDeg: -1, predMaxDeg: 1, epochsToTarget: null, firstLayerGradNorm: 20 })],
};

describe('output-head conclusions', () => {
  it('quote the measured ranking, baselines, saturation and epochs', () => {
    const t = concludeOutputHead(base);
    expect(t[0]).toContain('Best: linear head on normalized targets, validation MAE 10 deg');
    expect(t[0]).toContain('40 deg for always predicting 0');
    expect(t[1]).toContain('Every run beat both constant predictors');
    expect(t.join('\n')).toContain('tanh/raw 97%, outputs -1 to 1 deg, sharp-curve MAE 250 deg');
    expect(t.join('\n')).toContain('never within 3 epochs: tanh/raw');
    expect(t.join('\n')).toContain('average 100x those on scaled targets');
  });

  it('follow other numbers', () => {
    const t = concludeOutputHead({ ...base, runs: [run({ valMaeDeg: 45 }), run({ head: 'tanh', targets: 'raw', valMaeDeg: 12, headSaturation: 0.1, firstLayerGradNorm: 0.2 })] });
    expect(t[0]).toContain('Best: tanh head on raw targets, validation MAE 12 deg');
    expect(t[1]).toContain('1 of 2 runs did no better than a constant predictor');
    expect(t.join('\n')).toContain('No tanh head ended more than half saturated (largest: 10%)');
    expect(concludeOutputHead({ ...base, runs: [run({ valMaeDeg: null, status: 'failed' })] })[0]).toContain('No run produced a validation MAE');
  });
});

describe('output-head on a tiny demo drive (runExperiment grid)', () => {
  it('a tanh head on raw degrees is confined to +-1 deg, so its MAE is within 1 deg of the zero predictor', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { initEngine } = await import('../../src/engine/index.ts');
    const { runOutputHead } = await import('../../src/studies/output-head.ts');
    // wasm: PilotNet's convolutions train several times faster there than on the pure-JS cpu backend.
    await initEngine('wasm');
    const ws = mkdtempSync(join(tmpdir(), 'steerlab-oh-'));
    try {
      const m = await runOutputHead({
        engine: 'wasm', workspace: ws, heads: ['linear', 'tanh'], targets: ['raw', 'normalized'], height: 16, width: 48, widthMultiplier: 0.25, frames: 400, epochs: 2,
      });
      expect(m.runs).toHaveLength(4);
      expect(m.runs.every((r) => r.status === 'completed' && r.maeByEpochDeg.length === 2)).toBe(true);
      const tr = m.runs.find((r) => r.head === 'tanh' && r.targets === 'raw')!;
      expect(Math.abs(tr.predMaxDeg!)).toBeLessThanOrEqual(1 + 1e-6);
      expect(Math.abs(tr.predMinDeg!)).toBeLessThanOrEqual(1 + 1e-6);
      // |p - y| >= |y| - 1 and <= |y| + 1 for |p| <= 1: the MAE sits within 1 deg of always predicting 0.
      expect(Math.abs(tr.valMaeDeg! - m.baselines!.zeroMaeDeg)).toBeLessThanOrEqual(1 + 1e-3);
      expect(m.baselines!.zeroMaeDeg).toBeGreaterThan(5);
      const best = m.runs.reduce((a, b) => (a.valMaeDeg! <= b.valMaeDeg! ? a : b));
      expect(best.epochsToTarget).not.toBeNull();
      expect(concludeOutputHead(m)[0]).toContain(`Best: ${best.head} head on ${best.targets} targets`);
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  }, 150_000);
});
