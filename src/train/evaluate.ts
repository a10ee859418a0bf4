/**
 * Validation pass: predictions in degrees (inverse target transform) and the
 * validation loss in target units, batch by batch, no augmentation.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradientProvider } from '../engine/provider.ts';
import { CancelledError } from '../errors.ts';
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

/** Model outputs (in target units) and true angles (degrees) of every sample of a source, in order. */
export interface Predictions {
  out: Float32Array;
  trueDeg: Float32Array;
}

/**
 * Runs forward(batch) (an [n, 1] output, in target units) over a source in
 * order, batch by batch, no augmentation: the one prediction pass of the
 * trainer and the studies. Throws CancelledError when the signal aborts.
 */
export async function predictSource(src: SampleSource, batchSize: number, forward: (b: Batch) => tf.Tensor, signal?: AbortSignal): Promise<Predictions> {
  const n = src.size;
  const out = new Float32Array(n);
  const trueDeg = new Float32Array(n);
  for (let start = 0; start < n; start += batchSize) {
    if (signal?.aborted) throw new CancelledError('validation cancelled');
    const idx = Array.from({ length: Math.min(batchSize, n - start) }, (_, i) => start + i);
    const b = await src.batch(idx);
    const t = tf.tidy(() => forward(b));
    out.set(t.dataSync().subarray(0, b.size), start);
    t.dispose();
    trueDeg.set(b.yDeg, start);
    b.release?.();
  }
  return { out, trueDeg };
}

/**
 * predictSource with an asynchronous forward pass (a worker pool): up to
 * `inFlight` batches computing at once while this thread reads the next one.
 * Each batch is the same as predictSource's, so the outputs are too.
 */
export async function predictSourcePooled(
  src: SampleSource, batchSize: number, forward: (b: Batch) => Promise<Float32Array>, inFlight: number, signal?: AbortSignal,
): Promise<Predictions> {
  const n = src.size;
  const out = new Float32Array(n);
  const trueDeg = new Float32Array(n);
  const pending: Promise<void>[] = [];
  for (let start = 0; start < n; start += batchSize) {
    if (signal?.aborted) throw new CancelledError('validation cancelled');
    const idx = Array.from({ length: Math.min(batchSize, n - start) }, (_, i) => start + i);
    const b = await src.batch(idx);
    trueDeg.set(b.yDeg, start);
    const at = start;
    const p = forward(b).then((o) => {
      out.set(o.subarray(0, b.size), at);
      b.release?.();
    });
    p.catch(() => undefined); // awaited below; a failure must not surface as unhandled while another batch is awaited
    pending.push(p);
    if (pending.length >= inFlight) await pending.shift();
  }
  await Promise.all(pending);
  return { out, trueDeg };
}

/**
 * The validation pass of a Regressor: on the provider's workers when it can
 * predict (same numbers; not for models with batchnorm buffers, which the
 * workers do not get), else on this thread. Throws CancelledError when the signal aborts.
 */
export async function evaluateSource(
  model: Regressor, src: SampleSource, target: TargetTransform, batchSize: number, inputShape: [number, number, number], signal?: AbortSignal,
  provider?: GradientProvider,
): Promise<Evaluation> {
  let p: Predictions;
  if (provider?.predict && model.buffers.length === 0) {
    const weights = model.getWeights();
    const predict = provider.predict.bind(provider);
    // One batch more than there are workers: each worker has its next batch queued while this thread reads another.
    // A raw batch's pixel pass runs on the worker.
    p = await predictSourcePooled(src, batchSize, (b) => predict(weights, b.raw ?? b.x, b.size), (provider.concurrency ?? 1) + 1, signal);
  } else {
    p = await predictSource(src, batchSize, (b) => model.apply(batchTensor(model, b, inputShape), { training: false }).output, signal);
  }
  const predDeg = Float32Array.from(p.out, (t) => target.toDeg(t));
  let sq = 0;
  let count = 0;
  for (let i = 0; i < p.out.length; i++) {
    if (Number.isFinite(p.trueDeg[i])) {
      sq += (p.out[i] - target.toTarget(p.trueDeg[i])) ** 2;
      count++;
    }
  }
  return { valLoss: count ? sq / count : NaN, predDeg, trueDeg: p.trueDeg };
}
