import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initEngine } from '../../src/engine/index.ts';
import { createRegressor } from '../../src/model/index.ts';
import { exportLayersModel } from '../../src/model/export.ts';
import type { ModelConfig } from '../../src/model/config.ts';
import { createRng } from '../../src/rng.ts';

beforeAll(async () => {
  await initEngine('cpu');
});

async function roundTrip(cfg: Partial<ModelConfig>, shape: number[]) {
  const m = createRegressor(cfg, 4);
  // Move batchnorm statistics and weights away from their initial values so the check is not trivial.
  const rng = createRng(8);
  m.setWeights(m.getWeights().map((w) => w.map(() => rng.normal(0, 0.3))));
  m.setBuffers(m.getBuffers().map((b, i) => b.map(() => (i % 2 ? rng.uniform(0.5, 2) : rng.normal(0, 0.5)))));
  const { modelJson, weightData } = await exportLayersModel(m, { target: { kind: 'normalized', fullScaleDeg: 420 } });
  // What a reader gets from model.json + weights.bin on disk:
  const json = JSON.parse(JSON.stringify(modelJson));
  expect(json.format).toBe('layers-model');
  expect(json.userDefinedMetadata.target.fullScaleDeg).toBe(420);
  const loaded = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: weightData.slice(0) }));
  const x = tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b) }, () => rng.next()), shape);
  const ours = tf.tidy(() => m.apply(x, { training: false }).output.dataSync());
  const theirs = tf.tidy(() => (loaded.predict(x) as tf.Tensor).dataSync());
  loaded.dispose();
  m.dispose();
  return { ours: Array.from(ours), theirs: Array.from(theirs) };
}

describe('exportLayersModel', () => {
  it('PilotNet-shaped conv net with batchnorm, leaky ReLU and a scaled tanh head predicts the same after loading', async () => {
    const r = await roundTrip({ input: { height: 20, width: 24, channels: 3 }, widthMultiplier: 0.2, batchnorm: true, activation: 'leaky_relu', head: 'scaled_tanh', headScale: 1.5, dropout: 0.3, auxHeads: [{ after: 'conv2', lossWeight: 0.2, head: 'linear' }] }, [3, 20, 24, 3]);
    r.theirs.forEach((v, i) => expect(v).toBeCloseTo(r.ours[i], 4));
    expect(new Set(r.ours).size).toBe(3);
  });
  it('MLP with elu and a tanh head', async () => {
    const r = await roundTrip({ arch: 'mlp', input: { height: 1, width: 6, channels: 1 }, hidden: [5, 4], activation: 'elu', head: 'tanh' }, [4, 6]);
    r.theirs.forEach((v, i) => expect(v).toBeCloseTo(r.ours[i], 5));
  });
  it('full-size PilotNet exports 252,219 trainable parameters', async () => {
    const m = createRegressor({}, 1);
    const { modelJson, weightData } = await exportLayersModel(m);
    expect(weightData.byteLength).toBe(252219 * 4);
    expect((modelJson as { weightsManifest: { weights: unknown[] }[] }).weightsManifest[0].weights.length).toBe(18);
    m.dispose();
  });
});
