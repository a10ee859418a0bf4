import { UserError } from '../../src/errors.ts';
import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../../src/engine/index.ts';
import { createRegressor, initialValues, planModel, planParamCount } from '../../src/model/index.ts';
import { ModelConfig } from '../../src/model/config.ts';
import { createRng } from '../../src/rng.ts';

beforeAll(async () => {
  await initEngine('cpu');
});

describe('model plan and factory', () => {
  it('PilotNet 66x200x3 has exactly 252,219 parameters (hand count in the plan and in variables)', () => {
    const cfg = ModelConfig.parse({});
    expect(planParamCount(planModel(cfg), false)).toBe(252219);
    const m = createRegressor(cfg, 1);
    expect(m.paramCount()).toBe(252219);
    expect(m.layers.map((l) => l.name)).toEqual(['conv1', 'conv2', 'conv3', 'conv4', 'conv5', 'dense1', 'dense2', 'dense3', 'head']);
    const c5 = m.plan.trunk[4];
    expect(c5.kind === 'conv' && [c5.outH, c5.outW, c5.outC]).toEqual([1, 18, 64]);
    m.dispose();
  });

  it('33x100 input: convs fall back to same padding where valid does not fit and the model runs', () => {
    const cfg = ModelConfig.parse({ input: { height: 33, width: 100, channels: 3 }, widthMultiplier: 0.25 });
    const plan = planModel(cfg);
    const convs = plan.trunk.filter((l) => l.kind === 'conv');
    expect(convs.map((c) => c.kind === 'conv' && c.padding)).toEqual(['valid', 'valid', 'valid', 'same', 'same']);
    const m = createRegressor(cfg, 3);
    expect(m.paramCount()).toBe(planParamCount(plan, false));
    const y = tf.tidy(() => m.apply(tf.zeros([2, 33, 100, 3]), { training: false }).output.shape);
    expect(y).toEqual([2, 1]);
    m.dispose();
  });

  it('batchnorm adds gamma/beta per layer and tracks moving statistics', () => {
    const cfg = ModelConfig.parse({ arch: 'mlp', input: { height: 1, width: 4, channels: 1 }, hidden: [3], batchnorm: true });
    const m = createRegressor(cfg, 1);
    expect(m.paramCount()).toBe(4 * 3 + 3 + 6 + 3 + 1);
    const before = m.getBuffers()[0].slice();
    tf.tidy(() => { m.apply(tf.randomNormal([8, 4], 5, 1, 'float32', 1), { training: true }); });
    const after = m.getBuffers()[0];
    expect(after.some((v, i) => v !== before[i])).toBe(true);
    m.dispose();
  });

  it('same seed gives the same weights, different seed different weights', () => {
    const cfg = { arch: 'mlp' as const, input: { height: 1, width: 5, channels: 1 } };
    const a = createRegressor(cfg, 7).getWeights();
    const b = createRegressor(cfg, 7).getWeights();
    const c = createRegressor(cfg, 8).getWeights();
    expect(a[0]).toEqual(b[0]);
    expect(a[0]).not.toEqual(c[0]);
  });

  it('initialisers have the documented variance', () => {
    const rng = createRng(5);
    const n = 200_000;
    const variance = (v: Float32Array) => v.reduce((s, x) => s + x * x, 0) / v.length;
    expect(variance(initialValues('he_normal', [n], 50, 10, rng))).toBeCloseTo(2 / 50, 3);
    expect(variance(initialValues('he_uniform', [n], 50, 10, rng))).toBeCloseTo(2 / 50, 3);
    expect(variance(initialValues('glorot_normal', [n], 50, 30, rng))).toBeCloseTo(2 / 80, 3);
    expect(variance(initialValues('lecun_uniform', [n], 50, 30, rng))).toBeCloseTo(1 / 50, 3);
    const small = initialValues('normal_0.01', [n], 50, 30, rng);
    expect(Math.sqrt(variance(small))).toBeCloseTo(0.01, 4);
    // truncated normal: nothing beyond 2 std of the truncated draw's scale
    const he = initialValues('he_normal', [n], 50, 10, rng);
    const limit = (2 * Math.sqrt(2 / 50)) / 0.87962566103423978;
    expect(he.every((v) => Math.abs(v) <= limit + 1e-6)).toBe(true);
  });

  it('rejects bad configs', () => {
    // Config mistakes are UserErrors naming the field and the fix (a one-line CLI error, not an internal error).
    expect(() => createRegressor({ auxHeads: [{ after: 'conv9', lossWeight: 1, head: 'linear' }] }, 1)).toThrow(UserError);
    expect(() => createRegressor({ auxHeads: [{ after: 'conv9', lossWeight: 1, head: 'linear' }] }, 1)).toThrow(
      "model.auxHeads[0].after 'conv9' is not a layer of this model; use one of: conv1, conv2, conv3, conv4, conv5, dense1, dense2, dense3",
    );
    // Two heads on one layer would share the name aux_conv2 (and its variables): refused before any variable exists.
    const twice = { auxHeads: [{ after: 'conv2', lossWeight: 0.1, head: 'linear' as const }, { after: 'conv2', lossWeight: 0.2, head: 'tanh' as const }] };
    expect(() => createRegressor(twice, 1)).toThrow("model.auxHeads[1]: 'conv2' already has an auxiliary head; give each layer at most one");
    expect(() => createRegressor({ dropout: 2 } as never, 1)).toThrow();
    expect(() => initialValues('he_normal', [3], 0, 1, createRng(1))).toThrow();
  });

  it('heads: tanh bounded by 1, scaled_tanh by k; aux heads produce outputs', () => {
    const cfg = ModelConfig.parse({
      arch: 'mlp', input: { height: 1, width: 3, channels: 1 }, hidden: [4, 4], head: 'scaled_tanh', headScale: 3,
      auxHeads: [{ after: 'dense1', lossWeight: 0.3, head: 'tanh' }],
    });
    const m = createRegressor(cfg, 2);
    m.setWeights(m.getWeights().map((w) => w.map(() => 5)));
    const r = tf.tidy(() => {
      const f = m.apply(tf.ones([2, 3]), { training: false });
      return [f.output.dataSync()[0], f.aux[0].output.dataSync()[0], f.aux[0].lossWeight, f.aux.length];
    });
    expect(r[0]).toBeCloseTo(3, 4);
    expect(r[1]).toBeCloseTo(1, 4);
    expect(r[2]).toBe(0.3);
    m.dispose();
  });
});
