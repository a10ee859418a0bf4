import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../../src/engine/index.ts';
import { createOptimizer } from '../../src/train/optimizer.ts';
import { learningRateAt } from '../../src/train/schedule.ts';
import { OptimizerConfig } from '../../src/train/config.ts';
import { trainRun } from '../../src/train/trainer.ts';
import { arrayTrainingData } from '../../src/train/memory-data.ts';
import { createRng } from '../../src/rng.ts';

beforeAll(async () => {
  await initEngine('cpu');
});

function run(name: 'adam' | 'sgd' | 'rmsprop', steps: number, g = [0.5, -2]) {
  const opt = createOptimizer(OptimizerConfig.parse({ name, momentum: 0.9 }));
  const w = tf.variable(tf.tensor1d([1, 1]));
  const grad = tf.tensor1d(g);
  const sq: number[] = [];
  for (let i = 0; i < steps; i++) {
    const u = opt.applyGradients([w], [grad], 0.1, true)!;
    sq.push(u[0].dataSync()[0]);
    u.forEach((t) => t.dispose());
  }
  const out = Array.from(w.dataSync());
  const state = opt.getState();
  opt.dispose();
  w.dispose();
  grad.dispose();
  return { w: out, sq, state };
}

describe('optimizers (hand derivations, constant gradient g = [0.5, -2], lr 0.1)', () => {
  it('adam: first step moves each weight by lr * sign(g)', () => {
    const r = run('adam', 1);
    expect(r.w[0]).toBeCloseTo(0.9, 5);
    expect(r.w[1]).toBeCloseTo(1.1, 5);
    expect(r.sq[0]).toBeCloseTo(0.02, 6); // 2 * 0.1^2
    expect(r.state.iterations).toBe(1);
    expect(r.state.slots[0].length).toBe(2);
  });
  it('sgd momentum 0.9: w2 = w0 - lr*g - lr*(0.9 g + g)', () => {
    const r = run('sgd', 2);
    expect(r.w[0]).toBeCloseTo(1 - 0.05 - 0.1 * 1.9 * 0.5, 6);
    expect(r.w[1]).toBeCloseTo(1 + 0.2 + 0.1 * 1.9 * 2, 6);
  });
  it('rmsprop: first step is lr * g / sqrt(0.1 g^2) = lr * sign(g) / sqrt(0.1)', () => {
    const r = run('rmsprop', 1);
    expect(r.w[0]).toBeCloseTo(1 - 0.1 / Math.sqrt(0.1), 4);
    expect(r.w[1]).toBeCloseTo(1 + 0.1 / Math.sqrt(0.1), 4);
  });
  it('state round-trips through getState/setState', () => {
    const cfg = OptimizerConfig.parse({ name: 'adam' });
    const a = createOptimizer(cfg);
    const w = tf.variable(tf.tensor2d([[1, 2], [3, 4]]));
    const g = tf.tensor2d([[0.1, -0.2], [0.3, 0.4]]);
    a.applyGradients([w], [g], 0.01, false);
    const b = createOptimizer(cfg);
    b.setState(a.getState());
    const w2 = tf.variable(w.clone());
    a.applyGradients([w], [g], 0.01, false);
    b.applyGradients([w2], [g], 0.01, false);
    expect(Array.from(w2.dataSync())).toEqual(Array.from(w.dataSync()));
    a.dispose();
    b.dispose();
  });
});

describe('learningRateAt', () => {
  const ctx = { totalSteps: 110, stepsPerEpoch: 10 };
  it('warm-up then cosine to lrMin', () => {
    const cfg = OptimizerConfig.parse({ learningRate: 1, schedule: 'cosine', warmupSteps: 10, lrMin: 0.1 });
    expect(learningRateAt(0, cfg, ctx)).toBeCloseTo(0.1, 12);
    expect(learningRateAt(9, cfg, ctx)).toBeCloseTo(1, 12);
    expect(learningRateAt(10, cfg, ctx)).toBeCloseTo(1, 12);
    expect(learningRateAt(60, cfg, ctx)).toBeCloseTo(0.55, 12);
    expect(learningRateAt(110, cfg, ctx)).toBeCloseTo(0.1, 12);
  });
  it('step decay by gamma every stepEvery epochs; constant stays', () => {
    const cfg = OptimizerConfig.parse({ learningRate: 0.8, schedule: 'step', stepEvery: 2, gamma: 0.5 });
    expect([0, 19, 20, 45].map((s) => learningRateAt(s, cfg, ctx))).toEqual([0.8, 0.8, 0.4, 0.2]);
    expect(learningRateAt(77, OptimizerConfig.parse({}), ctx)).toBe(1e-3);
  });
});

describe('early stopping', () => {
  it('stops when validation loss stops improving and reports the last epoch, not the best one (no selection on validation)', async () => {
    // Validation follows the opposite rule from training and the net starts near 0 (N(0, 0.01) init, linear units),
    // so every bit of learning makes validation worse.
    const rng = createRng(3);
    const n = 200;
    const x = new Float32Array(n * 2).map(() => rng.normal());
    const y = new Float32Array(n).map((_, i) => (i < 150 ? 1 : -1) * 50 * (x[2 * i] - x[2 * i + 1]));
    const data = arrayTrainingData(x, y, [1, 2, 1], 0.25);
    const out = await trainRun({
      config: { seed: 1, epochs: 8, batchSize: 10, earlyStopPatience: 2, model: { arch: 'mlp', input: { height: 1, width: 2, channels: 1 }, hidden: [4], activation: 'linear', init: 'normal_0.01' }, optimizer: { learningRate: 0.01 } },
      data,
    });
    expect(out.result.status).toBe('stopped-early');
    const vl = out.history.epochs.map((e) => e.valLoss);
    const best = vl.indexOf(Math.min(...vl));
    const lastEpoch = out.history.epochs.length - 1;
    expect(out.history.epochs.length).toBe(best + 3);
    expect(best).toBeLessThan(lastEpoch);
    expect(out.result.bestEpoch).toBe(lastEpoch);
    expect(out.result.selection).toBe('last-epoch');
    expect(out.result.val).toEqual(out.history.epochs[lastEpoch].val);
    expect(out.result.val).not.toEqual(out.history.epochs[best].val);
    // the returned model holds the last weights: re-evaluating reproduces the reported predictions
    const pred = tf.tidy(() => out.model.apply(tf.tensor2d(x.subarray(150 * 2), [50, 2]), { training: false }).output.dataSync());
    Array.from(pred).forEach((p, i) => expect(p * out.target.params.fullScaleDeg).toBeCloseTo(out.valPredDeg[i], 3));
    out.model.dispose();
  });
});
