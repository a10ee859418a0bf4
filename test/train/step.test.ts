import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../../src/engine/index.ts';
import { createRegressor } from '../../src/model/index.ts';
import { lossAndGrads, disposeStep } from '../../src/train/step.ts';
import { createRng } from '../../src/rng.ts';

beforeAll(async () => {
  await initEngine('cpu');
});

/** Central finite differences of the loss w.r.t. every parameter, in float64 via tiny steps on float32 nets. */
function checkGrads(cfg: Parameters<typeof createRegressor>[0], x: tf.Tensor, y: tf.Tensor2D, l2: number) {
  const m = createRegressor(cfg, 11);
  const r = lossAndGrads(m, x, y, { l2, training: false });
  const analytic = r.grads.map((g) => g.dataSync().slice());
  disposeStep(r);
  const w0 = m.getWeights();
  // Forward-only loss, written out independently of lossAndGrads: MSE + weighted aux MSE + l2 * sum kernel^2.
  const lossAt = (ws: Float32Array[]) => {
    m.setWeights(ws);
    return tf.tidy(() => {
      const f = m.apply(x, { training: false });
      let total = tf.mean(tf.square(tf.sub(f.output, y)));
      for (const a of f.aux) total = tf.add(total, tf.mul(tf.mean(tf.square(tf.sub(a.output, y))), a.lossWeight));
      for (const l of m.layers) total = tf.add(total, tf.mul(tf.sum(tf.square(l.variables[0])), l2));
      return total.dataSync()[0];
    });
  };
  const h = 1e-2;
  let worst = 0;
  w0.forEach((w, vi) => {
    for (let j = 0; j < w.length; j++) {
      const plus = w0.map((a) => a.slice());
      const minus = w0.map((a) => a.slice());
      plus[vi][j] += h;
      minus[vi][j] -= h;
      const fd = (lossAt(plus) - lossAt(minus)) / (2 * h);
      const a = analytic[vi][j];
      worst = Math.max(worst, Math.abs(fd - a) / Math.max(1e-2, Math.abs(fd) + Math.abs(a)));
    }
  });
  m.dispose();
  return worst;
}

describe('lossAndGrads', () => {
  it('matches central finite differences on a tiny tanh MLP with an aux head and L2', () => {
    const rng = createRng(3);
    const x = tf.tensor2d(Array.from({ length: 12 }, () => rng.normal()), [4, 3]);
    const y = tf.tensor2d([0.5, -0.2, 0.1, 0.9], [4, 1]);
    const worst = checkGrads(
      { arch: 'mlp', input: { height: 1, width: 3, channels: 1 }, hidden: [4, 3], activation: 'tanh', init: 'glorot_normal', head: 'scaled_tanh', headScale: 2,
        auxHeads: [{ after: 'dense1', lossWeight: 0.5, head: 'linear' }] },
      x, y, 0.01,
    );
    expect(worst).toBeLessThan(2e-2);
  });

  it('matches finite differences on a tiny conv net (8x8x1, one filter per conv)', () => {
    const rng = createRng(4);
    const x = tf.tensor4d(Array.from({ length: 2 * 8 * 8 }, () => rng.next()), [2, 8, 8, 1]);
    const y = tf.tensor2d([0.3, -0.4], [2, 1]);
    const worst = checkGrads({ input: { height: 8, width: 8, channels: 1 }, widthMultiplier: 0.05, activation: 'sigmoid', init: 'glorot_uniform' }, x, y, 0);
    expect(worst).toBeLessThan(3e-2);
  });

  it('loss is MSE in target units (hand check with zero weights)', () => {
    const m = createRegressor({ arch: 'mlp', input: { height: 1, width: 2, channels: 1 }, hidden: [2] }, 1);
    const ws = m.getWeights().map((w) => new Float32Array(w.length));
    ws[ws.length - 1][0] = 0.5; // head bias: every prediction 0.5
    m.setWeights(ws);
    const r = lossAndGrads(m, tf.ones([2, 2]), tf.tensor2d([1.5, -0.5], [2, 1]), { l2: 0 });
    expect(r.loss.dataSync()[0]).toBeCloseTo((1 + 1) / 2, 6);
    expect(r.headLosses.length).toBe(1);
    expect(r.grads.length).toBe(m.variables.length);
    disposeStep(r);
    m.dispose();
  });
});
