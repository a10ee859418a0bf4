/**
 * Where the offline engine's time goes, in numbers: the multiply-adds a
 * PilotNet training step needs (from the model plan, so PyTorch and tfjs are
 * charged the same work), each engine's effective GFLOP/s, and the speed of
 * the lab's wasm convolution kernel on one thread. Their ratio says how much
 * of a step is convolution at full speed and how much is everything else.
 */
import { tf } from '../src/engine/index.ts';
import { planFlops, planModel, type PlanFlops } from '../src/model/plan.ts';
import { ModelConfig } from '../src/model/config.ts';

/** FLOPs per sample of the benchmark model config. */
export function flopsOf(model: Partial<ModelConfig>): PlanFlops {
  return planFlops(planModel(ModelConfig.parse(model)));
}

export interface KernelSpeed {
  /** What was timed. */
  what: string;
  /** Best of the timed repeats, GFLOP/s (2 FLOP per multiply-add), one thread. */
  gflops: number;
}

/**
 * The speed of the lab's wasm convolution kernel on PilotNet's largest layer
 * (conv2: 5x5, 24 -> 36 channels, stride 2, one worker's batch of 16), one
 * thread, best of `repeats`: what the offline engine's convolutions reach at
 * best, all of them being the same GEMM underneath. Call with wasm active.
 */
export async function measureConvKernel(repeats = 7, batch = 16): Promise<KernelSpeed> {
  const x = tf.randomNormal([batch, 31, 98, 24]) as tf.Tensor4D;
  const w = tf.randomNormal([5, 5, 24, 36]) as tf.Tensor4D;
  const macs = batch * 14 * 47 * 36 * 5 * 5 * 24;
  let best = Infinity;
  try {
    for (let i = -1; i < repeats; i++) {
      const t0 = performance.now();
      const y = tf.conv2d(x, w, 2, 'valid');
      y.dataSync();
      const ms = performance.now() - t0;
      y.dispose();
      if (i >= 0) best = Math.min(best, ms);
    }
  } finally {
    tf.dispose([x, w]);
  }
  return { what: `forward conv 5x5 24->36 stride 2, batch ${batch}, ${batch}x31x98 input`, gflops: (2 * macs) / (best * 1e6) };
}
