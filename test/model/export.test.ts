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
  // Ours: the main head, then each auxiliary head; theirs: predict() in the order userDefinedMetadata.outputs names.
  const ours = tf.tidy(() => {
    const f = m.apply(x, { training: false });
    return [f.output, ...f.aux.map((a) => a.output)].map((t) => Array.from(t.dataSync()));
  });
  const theirs = tf.tidy(() => {
    const p = loaded.predict(x);
    return (Array.isArray(p) ? p : [p]).map((t) => Array.from(t.dataSync()));
  });
  const outputs: string[] = json.userDefinedMetadata.outputs;
  loaded.dispose();
  m.dispose();
  return { ours: ours[0], theirs: theirs[0], oursAll: ours, theirsAll: theirs, outputs };
}

describe('exportLayersModel', () => {
  it('PilotNet-shaped conv net with batchnorm, leaky ReLU and a scaled tanh head predicts the same after loading', async () => {
    const r = await roundTrip({ input: { height: 20, width: 24, channels: 3 }, widthMultiplier: 0.2, batchnorm: true, activation: 'leaky_relu', head: 'scaled_tanh', headScale: 1.5, dropout: 0.3, auxHeads: [{ after: 'conv2', lossWeight: 0.2, head: 'linear' }] }, [3, 20, 24, 3]);
    r.theirs.forEach((v, i) => expect(v).toBeCloseTo(r.ours[i], 4));
    expect(new Set(r.ours).size).toBe(3);
    // The auxiliary head (on a conv layer: flattened first) is the second output.
    expect(r.outputs).toEqual(['head', 'aux_conv2']);
    expect(r.theirsAll).toHaveLength(2);
    r.theirsAll[1].forEach((v, i) => expect(v).toBeCloseTo(r.oursAll[1][i], 4));
    expect(new Set(r.oursAll[1]).size).toBe(3);
  });
  it('several auxiliary heads on dense layers, each with its own head kind, come out in config order', async () => {
    const r = await roundTrip({ arch: 'mlp', input: { height: 1, width: 5, channels: 1 }, hidden: [6, 4], activation: 'relu', head: 'linear', headScale: 3,
      auxHeads: [{ after: 'dense2', lossWeight: 0.3, head: 'scaled_tanh' }, { after: 'dense1', lossWeight: 0.1, head: 'tanh' }] }, [4, 5]);
    expect(r.outputs).toEqual(['head', 'aux_dense2', 'aux_dense1']);
    expect(r.theirsAll).toHaveLength(3);
    r.theirsAll.forEach((out, k) => out.forEach((v, i) => expect(v).toBeCloseTo(r.oursAll[k][i], 5)));
    // scaled_tanh is bounded by k = 3 and not by 1 somewhere, tanh by 1.
    for (const v of r.oursAll[1]) expect(Math.abs(v)).toBeLessThanOrEqual(3);
    for (const v of r.oursAll[2]) expect(Math.abs(v)).toBeLessThanOrEqual(1);
  });
  it('MLP with elu and a tanh head', async () => {
    const r = await roundTrip({ arch: 'mlp', input: { height: 1, width: 6, channels: 1 }, hidden: [5, 4], activation: 'elu', head: 'tanh' }, [4, 6]);
    r.theirs.forEach((v, i) => expect(v).toBeCloseTo(r.ours[i], 5));
    expect(r.outputs).toEqual(['head']);
    expect(r.theirsAll).toHaveLength(1);
  });
  it('leaves no tensor behind (an export per run must not grow memory in a long session)', async () => {
    const m = createRegressor({ input: { height: 20, width: 24, channels: 3 }, widthMultiplier: 0.2, batchnorm: true, auxHeads: [{ after: 'dense1', lossWeight: 0.2, head: 'tanh' }] }, 2);
    await exportLayersModel(m); // first call may create tfjs-layers' own lasting state
    const before = tf.memory();
    for (let i = 0; i < 3; i++) await exportLayersModel(m);
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    m.dispose();
  });
  it('full-size PilotNet exports 252,219 trainable parameters', async () => {
    const m = createRegressor({}, 1);
    const { modelJson, weightData } = await exportLayersModel(m);
    expect(weightData.byteLength).toBe(252219 * 4);
    expect((modelJson as { weightsManifest: { weights: unknown[] }[] }).weightsManifest[0].weights.length).toBe(18);
    m.dispose();
  });
});
