/**
 * Runs a SaliencyNet on a batch of frames: the steering outputs and one
 * saliency map per frame, read back as plain arrays (the only sync point).
 */
import * as tf from '@tensorflow/tfjs-core';
import { gradCam, visualBackProp, type SaliencyMethod } from './maps.ts';
import type { SaliencyNet } from './net.ts';

/** Outputs and maps of a batch of N frames. */
export interface SaliencyBatch {
  /** Main head outputs in the model's target units, one per frame. */
  outputs: Float32Array;
  /** N maps of height*width values in [0, 1], row-major, frame after frame. */
  maps: Float32Array;
  height: number;
  width: number;
}

/**
 * Saliency of `n` frames given as pixels in [0, 1] (NHWC, the model's input
 * size). With method null only the outputs are computed (maps is empty).
 */
export function computeSaliency(net: SaliencyNet, pixels: Float32Array, n: number, method: SaliencyMethod | null): SaliencyBatch {
  const { height, width, channels } = net.input;
  if (pixels.length !== n * height * width * channels) throw new Error(`computeSaliency: ${pixels.length} values for ${n} frames of ${height}x${width}x${channels}`);
  const [out, maps] = tf.tidy(() => {
    const x = tf.tensor4d(pixels, [n, height, width, channels]);
    const probed = net.probe.predict(x) as tf.Tensor[];
    const feats = probed.slice(0, -1) as tf.Tensor4D[];
    const output = tf.reshape(probed[probed.length - 1], [n]) as tf.Tensor1D;
    if (method === null) return [output, tf.zeros([0])];
    if (method === 'visualbackprop') return [output, visualBackProp(feats, net.stages)];
    const a = feats[feats.length - 1];
    // Inference-mode layers applied eagerly: the same numbers as predict(), now differentiable in `a`.
    const tail = (t: tf.Tensor): tf.Tensor => net.tail.reduce((h, layer) => layer.apply(h) as tf.Tensor, t);
    // Frames are independent at inference, so the gradient of the sum is each frame's own gradient.
    const grad = tf.grad((t: tf.Tensor) => tf.sum(tail(t)))(a) as tf.Tensor4D;
    return [output, gradCam(a, grad, output, height, width)];
  });
  const outputs = out.dataSync() as Float32Array;
  const mapValues = maps.dataSync() as Float32Array;
  out.dispose();
  maps.dispose();
  return { outputs: Float32Array.from(outputs), maps: Float32Array.from(mapValues), height, width };
}
