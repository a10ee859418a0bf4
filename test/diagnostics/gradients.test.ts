import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../../src/engine/index.ts';
import { createRegressor } from '../../src/model/index.ts';
import { lossAndGrads, disposeStep } from '../../src/train/step.ts';
import { measureLayers } from '../../src/train/measure.ts';
import { trainRun } from '../../src/train/trainer.ts';
import { createRng } from '../../src/rng.ts';
import { linearTask } from '../train/fixtures.ts';

beforeAll(async () => {
  await initEngine('cpu');
});

describe('per-layer gradient diagnostics', () => {
  it('per-layer gradient norms equal the norms of central finite-difference gradients', () => {
    const m = createRegressor({ arch: 'mlp', input: { height: 1, width: 3, channels: 1 }, hidden: [4, 3], activation: 'tanh', init: 'glorot_uniform' }, 21);
    const rng = createRng(9);
    const x = tf.tensor2d(Array.from({ length: 15 }, () => rng.normal()), [5, 3]);
    const y = tf.tensor2d([0.2, -0.5, 0.9, 0.1, -0.3], [5, 1]);
    const r = lossAndGrads(m, x, y, { l2: 0, trace: true });
    const diag = measureLayers(m, r.grads, null, r.forward!);
    disposeStep(r);
    const w0 = m.getWeights();
    const loss = (ws: Float32Array[]) => {
      m.setWeights(ws);
      return tf.tidy(() => tf.mean(tf.square(tf.sub(m.apply(x, { training: false }).output, y))).dataSync()[0]);
    };
    const h = 5e-3;
    let vi = 0;
    m.layers.forEach((l, li) => {
      let sq = 0;
      for (let k = 0; k < l.variables.length; k++, vi++) {
        for (let j = 0; j < w0[vi].length; j++) {
          const p = w0.map((a) => a.slice());
          const q = w0.map((a) => a.slice());
          p[vi][j] += h;
          q[vi][j] -= h;
          sq += ((loss(p) - loss(q)) / (2 * h)) ** 2;
        }
      }
      expect(diag[li].name).toBe(l.name);
      expect(Math.abs(diag[li].gradNorm - Math.sqrt(sq)) / Math.sqrt(sq)).toBeLessThan(2e-2);
    });
    // tanh layers report saturation, no dead fraction; activations summarised
    expect(diag[0].saturatedFraction).not.toBeNull();
    expect(diag[0].deadFraction).toBeNull();
    expect(diag[0].actStd).toBeGreaterThan(0);
    m.dispose();
  });

  const deep = (activation: 'sigmoid' | 'relu', init: 'normal_0.01' | 'he_normal') => ({
    seed: 2, epochs: 1, batchSize: 16, logEvery: 2, maxStepsPerEpoch: 6,
    model: { arch: 'mlp' as const, input: { height: 1, width: 4, channels: 1 }, hidden: [32, 32, 32, 32, 32], activation, init },
    optimizer: { learningRate: 1e-3 },
  });

  it('a deep sigmoid net with N(0, 0.01) init yields the vanishing-gradient finding with its numbers', async () => {
    const out = await trainRun({ config: deep('sigmoid', 'normal_0.01'), data: linearTask() });
    const f = out.result.findings.find((x) => x.kind === 'vanishing-gradients');
    expect(f).toBeTruthy();
    expect(f!.layer).toBe('dense1');
    expect(f!.evidence.ratio).toBeLessThan(1e-3);
    expect(f!.evidence.ratio).toBeCloseTo(f!.evidence.firstLayerGradNorm / f!.evidence.headGradNorm, 1);
    expect(f!.message).toContain(f!.evidence.ratio.toExponential(2));
    out.model.dispose();
  });

  it('the same depth with He init and ReLU does not', async () => {
    const out = await trainRun({ config: deep('relu', 'he_normal'), data: linearTask() });
    expect(out.result.findings.map((x) => x.kind)).not.toContain('vanishing-gradients');
    const ratios = out.history.diagnostics.map((s) => s.layers[0].gradNorm / s.layers.find((l) => l.name === 'head')!.gradNorm);
    expect(Math.min(...ratios)).toBeGreaterThan(1e-2);
    out.model.dispose();
  });
});
