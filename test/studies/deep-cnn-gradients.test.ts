import { describe, expect, it } from 'vitest';
import { concludeDeepCnnGradients, type DeepCnnGradientsMeasurements, type DeepCnnRun } from '../../src/studies/deep-cnn-gradients.ts';

const run = (p: Partial<DeepCnnRun>): DeepCnnRun => ({
  activation: 'relu', batchnorm: false, firstToLastGradRatio: 1, valMaeDeg: 20, valRmseDeg: 30, maeByEpochDeg: [20], gradNormHeatmap: [], heatmapSteps: [], lossBySteps: [], wallTimeS: 1, ...p,
});
const m = (runs: DeepCnnRun[]): DeepCnnGradientsMeasurements => ({
  engine: 'cpu', convLayers: 10, layerNames: [], dataset: { source: 'demo', trainSamples: 1, valSamples: 1, input: { width: 1, height: 1 } }, baselines: { zeroMaeDeg: 40, meanMaeDeg: 41 }, runs,
});

describe('deep-cnn-gradients conclusions', () => {
  it('name vanishing gradients and the batchnorm effect from the numbers', () => {
    const t = concludeDeepCnnGradients(m([run({ activation: 'sigmoid', firstToLastGradRatio: 0.002, valMaeDeg: 45 }), run({ activation: 'sigmoid', batchnorm: true, firstToLastGradRatio: 0.8, valMaeDeg: 25 })])).join('\n');
    expect(t).toContain('sigmoid 0.002');
    expect(t).toContain('Vanishing gradients');
    expect(t).toContain('sigmoid: batchnorm moved the conv1/conv10 gradient ratio from 0.002 to 0.8 and validation MAE from 45 to 25 deg');
    expect(t).toContain('1 of 2 runs beat the best constant');
    const u = concludeDeepCnnGradients(m([run({ firstToLastGradRatio: 0.9 })])).join('\n');
    expect(u).not.toContain('Vanishing');
    expect(u).toContain('1 of 1 runs beat the best constant');
  });
});

describe('deep-cnn-gradients on a tiny demo drive', () => {
  it('sigmoid gradients shrink towards the input far more than ReLU ones', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { initEngine } = await import('../../src/engine/index.ts');
    const { runDeepCnnGradients } = await import('../../src/studies/deep-cnn-gradients.ts');
    // wasm: convolution gradients run several times faster there than on the pure-JS cpu backend.
    await initEngine('wasm');
    const ws = mkdtempSync(join(tmpdir(), 'steerlab-dcg-'));
    try {
      const r = await runDeepCnnGradients({
        engine: 'wasm', workspace: ws, activations: ['sigmoid', 'relu'], batchnorm: [false], convLayers: 6, channels: 4, height: 12, width: 24, frames: 400, epochs: 1, batchSize: 16,
      });
      const sig = r.runs.find((x) => x.activation === 'sigmoid')!;
      const relu = r.runs.find((x) => x.activation === 'relu')!;
      expect(sig.gradNormHeatmap).toHaveLength(6);
      expect(sig.gradNormHeatmap[0].length).toBe(sig.heatmapSteps.length);
      expect(sig.firstToLastGradRatio).toBeLessThan(0.1);
      expect(sig.firstToLastGradRatio).toBeLessThan(relu.firstToLastGradRatio / 10);
      expect(Number.isFinite(relu.valMaeDeg)).toBe(true);
      expect(r.baselines.zeroMaeDeg).toBeGreaterThan(0);
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  }, 120_000);
});
