import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../../src/engine/index.ts';
import { CancelledError } from '../../src/errors.ts';
import { mixSeed, shuffled } from '../../src/train/batching.ts';
import { evaluateSource } from '../../src/train/evaluate.ts';
import { gradientStep, runLoop, type StepAt } from '../../src/train/loop.ts';
import { createOptimizer } from '../../src/train/optimizer.ts';
import { trainRun } from '../../src/train/trainer.ts';
import { createRegressor } from '../../src/model/index.ts';
import { createTargetTransform } from '../../src/targets/transform.ts';
import { linearTask } from './fixtures.ts';

beforeAll(async () => {
  await initEngine('cpu');
});

const base = { epochs: 2, stepsPerEpoch: 3, samples: 10, batchSize: 4, seed: 7, logEvery: 2 };

describe('runLoop', () => {
  it('walks epochs x steps over the seeded shuffle (last batch short), logs every logEvery steps', async () => {
    const seen: { idx: number[]; at: StepAt }[] = [];
    const ends: [number, number][] = [];
    const r = await runLoop({
      ...base,
      load: async (idx) => Array.from(idx),
      step: (idx, at) => void seen.push({ idx, at }),
      endEpoch: (e, steps) => void ends.push([e, steps]),
    });
    expect(r).toEqual({ status: 'completed', steps: 6 });
    const order0 = Array.from(shuffled(10, mixSeed(7, 0, 1)));
    expect(seen.slice(0, 3).map((s) => s.idx)).toEqual([order0.slice(0, 4), order0.slice(4, 8), order0.slice(8, 10)]);
    expect(seen.map((s) => s.at.step)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(seen.map((s) => s.at.log)).toEqual([true, false, true, false, true, false]);
    expect(ends).toEqual([[0, 3], [1, 6]]);
  });

  it('a skipped step does not advance the global step; stop and diverged end the loop', async () => {
    let calls = 0;
    const skip = await runLoop({ ...base, load: async () => 0, step: () => (calls++ % 2 === 0 ? 'skip' : undefined) });
    expect(skip.steps).toBe(3);
    expect(await runLoop({ ...base, load: async () => 0, step: (_, at) => (at.step === 1 ? 'diverged' : undefined) })).toEqual({ status: 'diverged', steps: 2 });
    expect(await runLoop({ ...base, load: async () => 0, step: () => undefined, endEpoch: () => 'stop' })).toEqual({ status: 'stopped', steps: 3 });
  });

  it('resumes at firstEpoch with the same batches as the uninterrupted loop', async () => {
    const batches = async (firstEpoch: number, firstStep: number) => {
      const out: number[][] = [];
      await runLoop({ ...base, epochs: 3, firstEpoch, firstStep, load: async (idx) => Array.from(idx), step: (idx) => void out.push(idx) });
      return out;
    };
    expect(await batches(2, 6)).toEqual((await batches(0, 0)).slice(6));
  });

  it('an aborted signal ends it with CancelledError', async () => {
    const ac = new AbortController();
    const p = runLoop({ ...base, signal: ac.signal, load: async () => 0, step: (_, at) => (at.step === 1 ? void ac.abort() : undefined) });
    await expect(p).rejects.toBeInstanceOf(CancelledError);
  });
});

describe('gradientStep', () => {
  it('applies the registry optimizer to the clipped gradient and returns the loss', () => {
    const w = tf.variable(tf.tensor1d([3, 4]), true, 'loop_test_w');
    const opt = createOptimizer({ name: 'sgd', momentum: 0 });
    // loss = 0.5 |w|^2: gradient w (norm 5), clipped to norm 1, so w -= lr * w / 5.
    const loss = gradientStep(opt, [w], () => tf.mul(0.5, tf.sum(tf.square(w))) as tf.Scalar, 0.5, { clipNorm: 1 });
    expect(loss.dataSync()[0]).toBeCloseTo(12.5, 5);
    const got = Array.from(w.dataSync());
    expect(got[0]).toBeCloseTo(3 - 0.5 * 0.6, 5);
    expect(got[1]).toBeCloseTo(4 - 0.5 * 0.8, 5);
    tf.dispose([loss, w]);
    opt.dispose();
  });
});

describe('cancellation and phase timings', () => {
  it('evaluateSource throws CancelledError when the signal has fired', async () => {
    const data = linearTask();
    const model = createRegressor({ arch: 'mlp', input: { height: 1, width: 4, channels: 1 }, hidden: [4] }, 1);
    const target = createTargetTransform({ kind: 'normalized' }, data.train.anglesDeg);
    const ac = new AbortController();
    ac.abort();
    await expect(evaluateSource(model, data.val, target, 16, data.inputShape, ac.signal)).rejects.toBeInstanceOf(CancelledError);
    model.dispose();
  });

  it('trainRun reports where its wall time went, in milliseconds, adding up to the wall time', async () => {
    const out = await trainRun({
      config: { seed: 3, epochs: 2, batchSize: 16, logEvery: 3, model: { arch: 'mlp', input: { height: 1, width: 4, channels: 1 }, hidden: [8] } },
      data: linearTask(),
    });
    const p = out.phasesMs;
    expect(Object.keys(p).sort()).toEqual(['batch', 'checkpoint', 'diagnostics', 'other', 'step', 'validation']);
    for (const v of Object.values(p)) expect(v).toBeGreaterThanOrEqual(0);
    expect(p.step).toBeGreaterThan(0);
    expect(p.validation).toBeGreaterThan(0);
    expect(p.checkpoint).toBe(0); // no runDir
    const sum = Object.values(p).reduce((a, b) => a + b, 0);
    expect(Math.abs(sum - out.result.wallTimeS * 1000)).toBeLessThan(5);
    out.model.dispose();
  });
});
