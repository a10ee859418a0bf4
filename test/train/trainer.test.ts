import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine } from '../../src/engine/index.ts';
import { trainRun, type GradientProvider } from '../../src/train/trainer.ts';
import { RunResult, TrainEvent } from '../../src/train/events.ts';
import type { RunConfigInput } from '../../src/train/config.ts';
import { createRegressor } from '../../src/model/index.ts';
import { lossAndGrads, disposeStep } from '../../src/train/step.ts';
import { linearTask, barImages } from './fixtures.ts';

beforeAll(async () => {
  await initEngine('cpu');
});

const mlp = (over: Partial<RunConfigInput> = {}): RunConfigInput => ({
  seed: 5, epochs: 3, batchSize: 16, logEvery: 4,
  model: { arch: 'mlp', input: { height: 1, width: 4, channels: 1 }, hidden: [12, 8], activation: 'relu', dropout: 0.1, batchnorm: true },
  optimizer: { learningRate: 0.01 },
  ...over,
});

describe('trainRun', () => {
  it('learns a linear task, beats both baselines, and returns a schema-valid result with the engine', async () => {
    const events: TrainEvent[] = [];
    const cfg = mlp({ epochs: 6, optimizer: { learningRate: 0.03 }, model: { arch: 'mlp', input: { height: 1, width: 4, channels: 1 }, hidden: [12, 8], activation: 'relu' } });
    const out = await trainRun({ config: cfg, data: linearTask(), onEvent: (e) => events.push(e) });
    expect(RunResult.parse(out.result)).toBeTruthy();
    expect(out.result.status).toBe('completed');
    expect(out.result.engine).toBe('cpu');
    expect(out.result.kernels).toBeUndefined(); // a kernel build is recorded for wasm only
    const v = out.result.val!;
    expect(v.model.maeDeg).toBeLessThan(0.6 * v.zero.maeDeg);
    expect(v.model.maeDeg).toBeLessThan(0.6 * v.mean.maeDeg);
    expect(events.filter((e) => e.type === 'epoch').length).toBe(6);
    for (const e of events) expect(() => TrainEvent.parse(e)).not.toThrow();
    expect(events.filter((e) => e.type === 'diagnostics').length).toBe(out.history.diagnostics.length);
    expect(out.valPredDeg.length).toBe(60);
    out.model.dispose();
  });

  it('is reproducible: same seed and data give identical metrics and weights; another seed differs', async () => {
    const a = await trainRun({ config: mlp(), data: linearTask() });
    const b = await trainRun({ config: mlp(), data: linearTask() });
    const c = await trainRun({ config: mlp({ seed: 6 }), data: linearTask() });
    expect(b.history.epochs.map((e) => [e.trainLoss, e.valLoss])).toEqual(a.history.epochs.map((e) => [e.trainLoss, e.valLoss]));
    expect(b.result.val).toEqual(a.result.val);
    expect(b.model.getWeights()).toEqual(a.model.getWeights());
    expect(c.result.val!.model.maeDeg).not.toBe(a.result.val!.model.maeDeg);
    for (const o of [a, b, c]) o.model.dispose();
  });

  it('resumes from the last epoch checkpoint exactly like an uninterrupted run', async () => {
    const dirA = await mkdtemp(join(tmpdir(), 'core-ckA-'));
    const dirB = await mkdtemp(join(tmpdir(), 'core-ckB-'));
    const full = await trainRun({ config: mlp(), data: linearTask(), runDir: dirA });
    const ac = new AbortController();
    const first = await trainRun({
      config: mlp(), data: linearTask(), runDir: dirB, signal: ac.signal,
      onEvent: (e) => { if (e.type === 'checkpoint' && e.epoch === 0) ac.abort(); },
    });
    expect(first.result.status).toBe('cancelled');
    expect(first.result.epochs).toBe(1);
    first.model.dispose();
    const resumed = await trainRun({ config: mlp(), data: linearTask(), runDir: dirB, resume: true });
    expect(resumed.result.status).toBe('completed');
    expect(resumed.history.epochs.map((e) => [e.epoch, e.trainLoss, e.valLoss])).toEqual(full.history.epochs.map((e) => [e.epoch, e.trainLoss, e.valLoss]));
    expect(resumed.result.steps).toBe(full.result.steps);
    expect(resumed.model.getWeights()).toEqual(full.model.getWeights());
    expect(resumed.model.getBuffers()).toEqual(full.model.getBuffers());
    expect((await readdir(join(dirB, 'checkpoints'))).sort()).toEqual(expect.arrayContaining(['checkpoint.json']));
    full.model.dispose();
    resumed.model.dispose();
  });

  it('stops a diverging run with a non-finite finding naming the step and layer', async () => {
    const events: TrainEvent[] = [];
    const out = await trainRun({
      onEvent: (e) => events.push(e),
      config: mlp({ epochs: 2, model: { arch: 'mlp', input: { height: 1, width: 4, channels: 1 }, hidden: [12, 8], activation: 'relu' }, targets: { kind: 'raw' }, optimizer: { name: 'sgd', learningRate: 50, momentum: 0.9 } }),
      data: linearTask(),
    });
    expect(out.result.status).toBe('diverged');
    const f = out.result.findings.find((x) => x.kind === 'non-finite')!;
    expect(f).toBeTruthy();
    expect(f.step).toBeGreaterThanOrEqual(1);
    expect(['dense1', 'dense2', 'head']).toContain(f.layer);
    expect(f.message).toContain(`step ${f.step}`);
    expect(f.message).toContain(`'${f.layer}'`);
    expect(RunResult.parse(out.result).status).toBe('diverged');
    // every event of a diverging run still validates (no NaN/Inf reaches the contract)
    for (const e of events) expect(() => TrainEvent.parse(e)).not.toThrow();
    expect(events.some((e) => e.type === 'finding' && e.finding.kind === 'non-finite')).toBe(true);
    out.model.dispose();
  });

  it('cancels mid-epoch with a consistent record and leaks no tensors', async () => {
    const before = tf.memory().numTensors;
    const ac = new AbortController();
    const counts: number[] = [];
    const out = await trainRun({
      config: mlp({ epochs: 5, logEvery: 1 }), data: linearTask(), signal: ac.signal,
      onEvent: (e) => {
        if (e.type === 'step') {
          counts.push(tf.memory().numTensors);
          if (e.step === 15) ac.abort();
        }
      },
    });
    expect(out.result.status).toBe('cancelled');
    expect(out.result.steps).toBe(16);
    expect(RunResult.parse(out.result)).toBeTruthy();
    // per-step tensor count is flat: nothing accumulates across steps (the step's kept vectors are read and freed)
    expect(new Set(counts.slice(2)).size).toBe(1);
    out.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('trains a tiny PilotNet-shaped conv net with an aux head and reports head diagnostics', async () => {
    const out = await trainRun({
      config: { seed: 3, epochs: 1, batchSize: 12, logEvery: 1, model: { input: { height: 12, width: 16, channels: 3 }, widthMultiplier: 0.2, auxHeads: [{ after: 'dense1', lossWeight: 0.5, head: 'linear' }] } },
      data: barImages(),
    });
    expect(out.result.status).toBe('completed');
    const snap = out.history.diagnostics[0];
    expect(snap.layers.map((l) => l.name)).toEqual(['conv1', 'conv2', 'conv3', 'conv4', 'conv5', 'dense1', 'dense2', 'dense3', 'head', 'aux_dense1']);
    expect(snap.heads.map((h) => [h.name, h.lossWeight])).toEqual([['head', 1], ['aux_dense1', 0.5]]);
    expect(snap.heads[1].lossWeighted).toBeCloseTo(snap.heads[1].lossRaw * 0.5, 6);
    expect(snap.heads[0].targetMaxDeg).toBeCloseTo(out.target.toDeg(snap.heads[0].targetMax), 3);
    expect(snap.heads[0].predMinDeg).toBeCloseTo(out.target.toDeg(snap.heads[0].predMin), 3);
    out.model.dispose();
  });

  it('pushes a finding live, at the first epoch that measures it, and not again at the end', async () => {
    const events: TrainEvent[] = [];
    const out = await trainRun({
      config: { seed: 3, epochs: 3, batchSize: 12, logEvery: 2, targets: { kind: 'raw' }, model: { input: { height: 12, width: 16, channels: 3 }, widthMultiplier: 0.2, head: 'tanh' } },
      data: barImages(), onEvent: (e) => events.push(e),
    });
    const kinds = events.map((e) => (e.type === 'finding' ? `finding:${e.finding.kind}` : e.type === 'epoch' ? `epoch${e.epoch}` : null)).filter(Boolean);
    const at = kinds.indexOf('finding:targets-outside-head-range');
    expect(at).toBeGreaterThan(kinds.indexOf('epoch0'));
    expect(at).toBeLessThan(kinds.indexOf('epoch1'));
    expect(kinds.filter((k) => k === 'finding:targets-outside-head-range').length).toBe(1);
    const f = out.result.findings.find((x) => x.kind === 'targets-outside-head-range')!;
    expect(f.evidence.headMax).toBe(1);
    expect(f.evidence.targetMax).toBeGreaterThan(150);
    out.model.dispose();
  });

  it('a gradient provider replaces the in-process step with the same result (batchnorm statistics included)', async () => {
    const model = { arch: 'mlp' as const, input: { height: 1, width: 4, channels: 1 }, hidden: [6], activation: 'elu' as const, batchnorm: true };
    const cfg = mlp({ epochs: 2, model });
    const ref = await trainRun({ config: cfg, data: linearTask() });
    const shadow = createRegressor(model, 99);
    let calls = 0;
    const provider: GradientProvider = {
      async compute(weights, x, y, n) {
        calls++;
        shadow.setWeights(weights);
        const r = lossAndGrads(shadow, tf.tensor2d(x as Float32Array, [n, 4]), tf.tensor2d(y, [n, 1]), { l2: 0 });
        const res = { loss: r.loss.dataSync()[0], grads: r.grads.map((g) => g.dataSync() as Float32Array) };
        disposeStep(r);
        return res;
      },
      dispose() {},
    };
    const viaProvider = await trainRun({ config: cfg, data: linearTask(), gradientProvider: provider });
    expect(calls).toBe(viaProvider.result.steps);
    expect(viaProvider.history.epochs.map((e) => e.valLoss)).toEqual(ref.history.epochs.map((e) => e.valLoss));
    expect(viaProvider.model.getBuffers()).toEqual(ref.model.getBuffers());
    for (const o of [ref, viaProvider]) o.model.dispose();
    shadow.dispose();
  });

  it('skips samples whose angle was dropped (NaN) instead of diverging', async () => {
    const data = linearTask();
    for (const i of [0, 5, 17, 40]) (data.train.anglesDeg as Float32Array)[i] = NaN;
    (data.val.anglesDeg as Float32Array)[3] = NaN;
    const out = await trainRun({ config: mlp({ epochs: 1 }), data });
    expect(out.result.status).toBe('completed');
    expect(out.result.val!.model.n).toBe(59);
    out.model.dispose();
  });

  it('rejects data whose shape does not match the model', async () => {
    await expect(trainRun({ config: { model: { input: { height: 10, width: 10, channels: 3 } } }, data: barImages() })).rejects.toThrow(/does not match/);
  });
});
