/**
 * Validation pass: predictions in degrees (inverse target transform) and the
 * validation loss in target units, batch by batch, no augmentation.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Regressor } from '../model/types.ts';
import type { TargetTransform } from '../targets/transform.ts';
import type { Batch, SampleSource } from './data.ts';

/** Makes the model input tensor of a batch (NHWC, or N x features for mlp). */
export function batchTensor(model: Regressor, b: Batch, inputShape: [number, number, number]): tf.Tensor {
  return model.config.arch === 'mlp'
    ? tf.tensor2d(b.x, [b.size, inputShape[0] * inputShape[1] * inputShape[2]])
    : tf.tensor4d(b.x, [b.size, ...inputShape]);
}

export interface Evaluation {
  /** Mean squared error of the main head in target units over samples with a finite true angle. */
  valLoss: number;
  predDeg: Float32Array;
  trueDeg: Float32Array;
}

/** Returns null when cancelled. */
export async function evaluateSource(
  model: Regressor, src: SampleSource, target: TargetTransform, batchSize: number, inputShape: [number, number, number], signal?: AbortSignal,
): Promise<Evaluation | null> {
  const n = src.size;
  const predDeg = new Float32Array(n);
  const trueDeg = new Float32Array(n);
  let sq = 0;
  let count = 0;
  for (let start = 0; start < n; start += batchSize) {
    if (signal?.aborted) return null;
    const idx = Array.from({ length: Math.min(batchSize, n - start) }, (_, i) => start + i);
    const b = await src.batch(idx);
    const out = tf.tidy(() => model.apply(batchTensor(model, b, inputShape), { training: false }).output);
    const t = out.dataSync();
    out.dispose();
    for (let i = 0; i < b.size; i++) {
      predDeg[start + i] = target.toDeg(t[i]);
      trueDeg[start + i] = b.yDeg[i];
      if (Number.isFinite(b.yDeg[i])) {
        sq += (t[i] - target.toTarget(b.yDeg[i])) ** 2;
        count++;
      }
    }
  }
  return { valLoss: count ? sq / count : NaN, predDeg, trueDeg };
}
