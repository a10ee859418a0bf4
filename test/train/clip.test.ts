/**
 * Gradient clipping by global norm, checked on one plain-SGD step: the
 * update is -lr * g * min(1, c / ||g||), with ||g|| the L2 norm over every
 * trainable variable together (not per layer).
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { initEngine } from '../../src/engine/index.ts';
import { trainRun } from '../../src/train/trainer.ts';
import type { RunConfigInput } from '../../src/train/config.ts';
import { createRegressor } from '../../src/model/index.ts';
import { linearTask } from './fixtures.ts';

beforeAll(async () => {
  await initEngine('cpu');
});

const LR = 0.05;
const model = { arch: 'mlp' as const, input: { height: 1, width: 4, channels: 1 }, hidden: [6, 5], activation: 'tanh' as const };
const cfg = (clipNorm?: number): RunConfigInput => ({
  seed: 3, epochs: 1, maxStepsPerEpoch: 1, batchSize: 16, logEvery: 1, model,
  // Raw degrees give gradients of norm ~1e2-1e3, far above the clip thresholds below.
  targets: { kind: 'raw' },
  optimizer: { name: 'sgd', momentum: 0, learningRate: LR, ...(clipNorm !== undefined ? { clipNorm } : {}) },
});

/** Weight change of one training step, flattened over every variable. */
async function oneStepDelta(clipNorm?: number): Promise<number[]> {
  const init = createRegressor(model, 3);
  const w0 = init.getWeights();
  init.dispose();
  const out = await trainRun({ config: cfg(clipNorm), data: linearTask() });
  expect(out.result.status).toBe('completed');
  expect(out.result.steps).toBe(1);
  const w1 = out.model.getWeights();
  out.model.dispose();
  return w1.flatMap((w, i) => Array.from(w, (v, k) => v - w0[i][k]));
}

const norm = (v: number[]) => Math.sqrt(v.reduce((a, x) => a + x * x, 0));

describe('clipNorm (global gradient norm)', () => {
  it('scales the whole gradient to norm c: the step has length lr * c and the unclipped direction', async () => {
    const free = await oneStepDelta();
    const gNorm = norm(free) / LR;
    expect(gNorm).toBeGreaterThan(10); // the clip below must bite
    const c = 0.5;
    const clipped = await oneStepDelta(c);
    expect(norm(clipped)).toBeCloseTo(LR * c, 6);
    // Same direction for every variable at once (a per-layer clip would change the ratios between layers).
    const scale = c / gNorm;
    clipped.forEach((d, i) => expect(d).toBeCloseTo(free[i] * scale, 6));
  });

  it('leaves a gradient below the threshold unchanged', async () => {
    const free = await oneStepDelta();
    const loose = await oneStepDelta((norm(free) / LR) * 2);
    loose.forEach((d, i) => expect(d).toBeCloseTo(free[i], 6));
  });
});
