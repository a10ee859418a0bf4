/**
 * The experiment's pool keeper: the same model reuses the pool, another
 * model rebuilds the workers' models in place (and its gradients are that
 * model's, checked against the in-process reference), another worker count
 * starts a new pool; dispose stops every thread.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { initEngine, tf } from '../../src/engine/index.ts';
import { CancelledError } from '../../src/errors.ts';
import { liveWorkerCount } from '../../src/engine/parallel.ts';
import { createPoolKeeper } from '../../src/engine/pool.ts';
import { createRegressor } from '../../src/model/index.ts';
import type { ModelConfig } from '../../src/model/config.ts';
import { disposeStep, lossAndGrads } from '../../src/train/step.ts';
import { createRng } from '../../src/rng.ts';

const A: Partial<ModelConfig> = { arch: 'mlp', input: { height: 1, width: 6, channels: 1 }, hidden: [5], head: 'linear' };
const B: Partial<ModelConfig> = { arch: 'mlp', input: { height: 1, width: 6, channels: 1 }, hidden: [4, 3], head: 'tanh' };

async function check(model: Partial<ModelConfig>, l2: number, compute: (w: Float32Array[], x: Float32Array, y: Float32Array, n: number) => Promise<{ loss: number; grads: Float32Array[] }>) {
  const m = createRegressor(model, 7);
  const rng = createRng(3);
  const n = 8;
  const x = Float32Array.from({ length: n * 6 }, () => rng.next());
  const y = Float32Array.from({ length: n }, () => rng.next() - 0.5);
  const xt = tf.tensor2d(x, [n, 6]);
  const yt = tf.tensor2d(y, [n, 1]);
  const r = lossAndGrads(m, xt, yt, { l2 });
  const ref = { loss: r.loss.dataSync()[0], grads: r.grads.map((g) => Float32Array.from(g.dataSync())) };
  disposeStep(r);
  tf.dispose([xt, yt]);
  const got = await compute(m.getWeights(), x, y, n);
  m.dispose();
  expect(got.grads.length).toBe(ref.grads.length);
  expect(Math.abs(got.loss - ref.loss)).toBeLessThan(1e-5 * Math.max(1, ref.loss));
  ref.grads.forEach((g, i) => g.forEach((v, j) => expect(Math.abs(got.grads[i][j] - v)).toBeLessThan(1e-5)));
}

describe('createPoolKeeper', () => {
  const keeper = createPoolKeeper();
  afterAll(() => keeper.dispose());

  it('reuses, rebuilds in place, and restarts only for another worker count', async () => {
    await initEngine('wasm');
    const p1 = await keeper.get(A, 0, 2);
    await check(A, 0, p1.compute);
    expect(await keeper.get(A, 0, 2)).toBe(p1);
    const p2 = await keeper.get(B, 1e-2, 2);
    expect(p2).toBe(p1);
    expect(keeper.started).toBe(1);
    await check(B, 1e-2, p2.compute); // the workers now compute model B's loss (with its L2) and gradients
    const p3 = await keeper.get(B, 1e-2, 3);
    expect(p3).not.toBe(p1);
    expect(p1.disposed).toBe(true);
    expect(keeper.started).toBe(2);
    keeper.dispose();
    const t0 = Date.now();
    while (liveWorkerCount() > 0 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 50));
    expect(liveWorkerCount()).toBe(0);
    await expect(keeper.get(A, 0, 2)).rejects.toBeInstanceOf(CancelledError);
  }, 60_000);
});
