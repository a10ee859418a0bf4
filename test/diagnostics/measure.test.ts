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
