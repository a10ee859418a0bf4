/**
 * The wasm engine's fused Adam kernel against the op-by-op Adam on the cpu
 * backend: same float32 operations in the same order, so the same weights and
 * moments bit for bit, over several steps with varying gradients and
 * learning rates; and the wasm path really runs one kernel per variable.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine, tf } from '../../src/engine/index.ts';
import { FUSED_ADAM } from '../../src/engine/register-kernels.ts';
import { OptimizerConfig } from '../../src/train/config.ts';
import { createOptimizer } from '../../src/train/optimizer.ts';
import { createRng } from '../../src/rng.ts';

const shapes = [[5, 5, 3, 7], [7], [33, 10], [1]];

function run(backend: 'cpu' | 'wasm') {
  {
    const rng = createRng(17);
    const rand = (n: number, scale: number) => Float32Array.from({ length: n }, () => (rng.next() * 2 - 1) * scale);
    const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
    const vars = shapes.map((s, i) => tf.variable(tf.tensor(rand(size(s), 1), s), true, `fa_${backend}_${i}_${Math.random()}`));
    const opt = createOptimizer(OptimizerConfig.parse({ name: 'adam' }));
    const sq: number[][] = [];
    for (let step = 0; step < 4; step++) {
      // Gradients spanning several orders of magnitude, so sqrt(v) and eps both matter.
      const grads = shapes.map((s) => tf.tensor(rand(size(s), 10 ** (step - 3)), s));
      const u = opt.applyGradients(vars, grads, 0.01 * (step + 1), true)!;
      sq.push(u.map((t) => t.dataSync()[0]));
      tf.dispose([...u, ...grads]);
    }
    const state = opt.getState();
    const weights = vars.map((v) => Float32Array.from(v.dataSync() as Float32Array));
    opt.dispose();
    vars.forEach((v) => v.dispose());
    return { weights, state, sq };
  }
}

describe('fused Adam (wasm)', () => {
  beforeAll(async () => {
    await initEngine('wasm');
  });

  it('gives the op-by-op Adam\'s weights and moments bit for bit, and the same update sizes', async () => {
    await tf.setBackend('cpu');
    expect(tf.getKernel(FUSED_ADAM, 'cpu')).toBeUndefined(); // the reference really is the op-by-op version
    const ref = run('cpu');
    await tf.setBackend('wasm');
    const got = run('wasm');
    ref.weights.forEach((w, i) => expect(Array.from(got.weights[i]), `weights ${i}`).toEqual(Array.from(w)));
    expect(got.state.iterations).toBe(4);
    ref.state.slots.forEach((vs, i) => vs.forEach((v, k) => expect(Array.from(got.state.slots[i][k]), `slot ${k} of ${i}`).toEqual(Array.from(v))));
    // Sums of squared updates: same terms, summed in another order (float64 in the kernel).
    ref.sq.flat().forEach((v, i) => expect(Math.abs(got.sq.flat()[i] - v) / v).toBeLessThan(1e-5));
  });

  it('runs one fused kernel per variable on wasm instead of the 14-op chain', async () => {
    await tf.setBackend('wasm');
    const w = tf.variable(tf.ones([3, 4]));
    const g = tf.fill([3, 4], 0.5);
    const opt = createOptimizer(OptimizerConfig.parse({ name: 'adam' }));
    opt.applyGradients([w], [g], 0.1, false); // the first step also creates the moment slots (ZerosLike)
    const prof = await tf.profile(() => {
      opt.applyGradients([w], [g], 0.1, false);
    });
    expect(prof.kernels.map((k) => k.name)).toEqual([FUSED_ADAM]);
    // A constant gradient moves each weight by lr * sign(g) per step.
    for (const v of w.dataSync()) expect(v).toBeCloseTo(0.8, 5);
    opt.dispose();
    tf.dispose([w, g]);
  });
});
