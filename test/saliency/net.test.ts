/**
 * A lab model as saliency sees it: createRegressor -> the tfjs Layers export
 * (model/export.ts, what a run writes) -> saliencyNet. With batchnorm, an
 * auxiliary head and a scaled-tanh head, the stages are the plan's five
 * convolutions and the probe's output is the Regressor's own.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../src/engine/index.ts';
import { toLayersModel } from '../../src/model/export.ts';
import { createRegressor } from '../../src/model/index.ts';
import { computeSaliency } from '../../src/saliency/compute.ts';
import { saliencyNet } from '../../src/saliency/net.ts';
import { createRng } from '../../src/rng.ts';

beforeAll(async () => {
  await initEngine('cpu');
});

describe('saliencyNet of an exported lab model', () => {
  it('finds the five conv stages of the plan and reproduces the main head\'s output', () => {
    const model = createRegressor({
      input: { height: 33, width: 100, channels: 3 }, widthMultiplier: 0.25, batchnorm: true, head: 'scaled_tanh', headScale: 3,
      auxHeads: [{ after: 'conv2', lossWeight: 0.5, head: 'linear' }],
    }, 7);
    const lm = toLayersModel(model);
    const net = saliencyNet(lm);
    const convs = model.plan.trunk.filter((l) => l.kind === 'conv');
    expect(net.stages.map((s) => [s.name, s.kernel[0], s.stride[0], s.padding, s.inH, s.inW, s.outH, s.outW])).toEqual(
      convs.map((c) => c.kind === 'conv' && [c.name, c.kernel, c.stride, c.padding, c.inH, c.inW, c.outH, c.outW]),
    );
    expect(net.input).toEqual({ height: 33, width: 100, channels: 3 });
    const rng = createRng(3);
    const n = 3;
    const x = Float32Array.from({ length: n * 33 * 100 * 3 }, () => rng.uniform(0, 1));
    const want = tf.tidy(() => model.apply(tf.tensor4d(x, [n, 33, 100, 3]), { training: false }).output.dataSync());
    for (const method of [null, 'visualbackprop', 'gradcam'] as const) {
      const got = computeSaliency(net, x, n, method);
      for (let i = 0; i < n; i++) expect(got.outputs[i]).toBeCloseTo(want[i], 4);
      if (method) {
        expect(got.maps).toHaveLength(n * 33 * 100);
        expect(got.maps.every((v) => v >= 0 && v <= 1)).toBe(true);
      }
    }
    lm.dispose();
    model.dispose();
  });
});
