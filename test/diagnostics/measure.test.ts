import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../../src/engine/index.ts';
import { createRegressor } from '../../src/model/index.ts';
import { lossAndGrads, disposeStep } from '../../src/train/step.ts';
import { measureHeads, measureLayers } from '../../src/train/measure.ts';

beforeAll(async () => {
  await initEngine('cpu');
});

/** Sets [kernel, bias] per layer from plain arrays. */
function set(m: ReturnType<typeof createRegressor>, values: number[][]) {
  m.setWeights(values.map((v) => Float32Array.from(v)));
}

describe('measured layer statistics on hand-set nets', () => {
  it('dead ReLU fraction: a unit negative on the whole batch is dead, one positive on any sample is not', () => {
    const m = createRegressor({ arch: 'mlp', input: { height: 1, width: 2, channels: 1 }, hidden: [3], activation: 'relu' }, 1);
    // kernel [2,3] row-major: unit0 = [-1,-1], unit1 = [1,1], unit2 = [1,-1]
    set(m, [[-1, 1, 1, -1, 1, -1], [0, 0, 0], [1, 1, 1], [0]]);
    const x = tf.tensor2d([[1, 0], [0, 1]]);
    const y = tf.tensor2d([[1], [2]]);
    const r = lossAndGrads(m, x, y, { l2: 0, trace: true });
    const [d1, head] = measureLayers(m, r.grads, null, r.forward!);
    expect(d1.deadFraction).toBeCloseTo(1 / 3, 12);
    // post = [[0,1,1],[0,1,0]] -> mean 3/6, E[x^2] = 3/6, std = 0.5
    expect(d1.actMean).toBeCloseTo(0.5, 6);
    expect(d1.actStd).toBeCloseTo(0.5, 6);
    expect(d1.saturatedFraction).toBeNull();
    expect(head.actMean).toBeNull();
    // predictions [2, 1] vs targets [1, 2]: loss 1; head grads by hand: dL/dout = (pred - y) = [1, -1]
    // dL/dW_head = mean over batch of 2*(pred-y)*h = [0, (2*1*1 + 2*-1*1)/2, (2*1*1 + 0)/2] = [0, 0, 1]; dL/db = 0
    expect(head.gradNorm).toBeCloseTo(1, 5);
    const [hd] = measureHeads(m, r.forward!, y, r.headLosses.map((t) => t.dataSync()[0]));
    expect([hd.predMin, hd.predMax, hd.targetMin, hd.targetMax, hd.lossRaw]).toEqual([1, 2, 1, 2, 1]);
    disposeStep(r);
    m.dispose();
  });

  it('saturated tanh fraction counts |pre| > 2', () => {
    const m = createRegressor({ arch: 'mlp', input: { height: 1, width: 2, channels: 1 }, hidden: [2], activation: 'tanh' }, 1);
    set(m, [[3, 0.5, 3, 0.5], [0, 0], [1, 1], [0]]);
    const x = tf.tensor2d([[1, 0], [0, 1]]);
    const r = lossAndGrads(m, x, tf.tensor2d([[0], [0]]), { l2: 0, trace: true });
    const [d1] = measureLayers(m, r.grads, null, r.forward!);
    expect(d1.saturatedFraction).toBe(0.5);
    expect(d1.deadFraction).toBeNull();
    expect(d1.actMean).toBeCloseTo((Math.tanh(3) + Math.tanh(0.5)) / 2, 6);
    expect(d1.nonFinite).toBe(0);
    disposeStep(r);
    m.dispose();
  });
});

describe('one-pass moments on the wasm engine', () => {
  it('the moments kernel counts non-finite and above-threshold entries and sums like float64', async () => {
    await initEngine('wasm');
    try {
      const { MOMENTS } = await import('../../src/engine/register-kernels.ts');
      const run = (v: number[] | Float32Array, threshold: number) => {
        const x = tf.tensor1d(v);
        const m = tf.engine().runKernel(MOMENTS, { x0: x }, { thresholds: [threshold] } as unknown as tf.NamedAttrMap) as tf.Tensor;
        expect(m.shape).toEqual([1, 4]);
        const out = Array.from(m.dataSync());
        tf.dispose([x, m]);
        return out;
      };
      // 7 entries: one 4-lane block and a 3-entry tail. |x| > 1: -2, Inf, 3, -Inf (NaN is not).
      const [s, ss, nf, above] = run([1, -2, NaN, Infinity, 3, 0.5, -Infinity], 1);
      expect(s).toBeNaN();
      expect(ss).toBeNaN();
      expect(nf).toBe(3);
      expect(above).toBe(4);
      // 5,003 values: several 1,024-blocks plus a tail, against a float64 reference.
      const v = Float32Array.from({ length: 5003 }, (_, i) => Math.sin(i) * 3);
      let rs = 0;
      let rss = 0;
      let ra = 0;
      for (const e of v) { rs += e; rss += e * e; ra += Math.abs(e) > 2 ? 1 : 0; }
      const m = run(v, 2);
      expect(Math.abs(m[0] - rs)).toBeLessThan(1e-3);
      expect(Math.abs(m[1] - rss) / rss).toBeLessThan(1e-6);
      expect(m[2]).toBe(0);
      expect(m[3]).toBe(ra);
    } finally {
      await initEngine('cpu');
    }
  });

  it('gives the same layer statistics as the op-by-op version on the cpu backend (a tanh MLP that saturates)', async () => {
    const cfg = { arch: 'mlp' as const, input: { height: 1, width: 6, channels: 1 }, hidden: [5, 4], activation: 'tanh' as const };
    const xv = Array.from({ length: 24 }, (_, i) => Math.cos(i * 1.7) * 3);
    const yv = [0.5, -0.2, 0.1, 0.9];
    const measure = () => {
      const m = createRegressor(cfg, 3);
      const x = tf.tensor2d(xv, [4, 6]);
      const y = tf.tensor2d(yv, [4, 1]);
      const r = lossAndGrads(m, x, y, { l2: 0, trace: true });
      const d = measureLayers(m, r.grads, null, r.forward!);
      disposeStep(r);
      tf.dispose([x, y]);
      m.dispose();
      return d;
    };
    await initEngine('cpu');
    const ref = measure();
    await initEngine('wasm');
    let got: ReturnType<typeof measure>;
    try {
      got = measure();
    } finally {
      await initEngine('cpu');
    }
    expect(got.length).toBe(ref.length);
    ref.forEach((r, i) => {
      for (const [k, v] of Object.entries(r)) {
        const g = (got[i] as unknown as Record<string, unknown>)[k];
        if (typeof v === 'number') expect(g as number, `${r.name}.${k}`).toBeCloseTo(v, 5);
        else expect(g, `${r.name}.${k}`).toEqual(v);
      }
    });
    // The draw really saturates some tanh units, so the threshold count was exercised.
    expect(ref[0].saturatedFraction).toBeGreaterThan(0);
  });
});
