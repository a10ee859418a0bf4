/**
 * Where the offline engine's time goes, in numbers: the multiply-adds a
 * PilotNet training step needs (from the model plan, so PyTorch and tfjs are
 * charged the same work), each engine's effective GFLOP/s, and the fastest
 * single-threaded matrix product the wasm backend (XNNPACK) runs on this
 * machine. Their ratio bounds what any formulation of the convolutions on
 * that backend can reach: a convolution is at best a GEMM.
 */
import { tf } from '../src/engine/index.ts';
import { planFlops, planModel, type PlanFlops } from '../src/model/plan.ts';
import { ModelConfig } from '../src/model/config.ts';

/** FLOPs per sample of the benchmark model config. */
export function flopsOf(model: Partial<ModelConfig>): PlanFlops {
  return planFlops(planModel(ModelConfig.parse(model)));
}

export interface GemmCeiling {
  /** Square matrix product size n (n x n times n x n). */
  n: number;
  /** Best of the timed repeats, GFLOP/s, one thread. */
  gflops: number;
}

/**
 * The wasm backend's single-threaded GEMM speed on a large square product:
 * the best case for the convolution kernels, which are all GEMMs underneath.
 * Call with the wasm engine active.
 */
export async function measureGemmCeiling(n = 1024, repeats = 5): Promise<GemmCeiling> {
  const a = tf.randomNormal([1, n, n]);
  const b = tf.randomNormal([1, n, n]);
  let best = Infinity;
  try {
    for (let i = -1; i < repeats; i++) {
      const t0 = performance.now();
      const c = tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D);
      c.dataSync();
      const ms = performance.now() - t0;
      c.dispose();
      if (i >= 0) best = Math.min(best, ms);
    }
  } finally {
    tf.dispose([a, b]);
  }
  return { n, gflops: (2 * n * n * n) / (best * 1e6) };
}
