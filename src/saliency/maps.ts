/**
 * The two saliency methods, as tensor math on a batch (no I/O).
 *
 * VisualBackProp (Bojarski et al. 2016, built for PilotNet): average each
 * convolution stage's feature maps over channels; starting from the deepest
 * stage, scale the mask up to the previous stage's size by a deconvolution
 * whose kernel is all ones with that stage's kernel size and stride, multiply
 * it point-wise with the previous stage's averaged map, and so on down to the
 * image. Each averaged map is first scaled to [0, 1] (min to max per frame):
 * with ELU or tanh activations an average can be negative, and a product of
 * two negative maps would mark as salient what neither layer responds to.
 *
 * Grad-CAM (Selvaraju et al. 2017) for a regressor: the gradient of the
 * steering output with respect to the last stage's feature maps A, channel
 * weights = its spatial mean, map = ReLU(sum_c w_c A_c), upsampled
 * bilinearly to the image. The gradient is multiplied by the sign of the
 * prediction, so the map shows what supports the turn the model predicts (a
 * left turn's evidence lowers the output, and the ReLU would drop it).
 *
 * Both return one map per frame, [N, H, W] at the model's input size, each
 * scaled to [0, 1] (an all-flat map stays 0).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ConvStage } from './net.ts';

export const SALIENCY_METHODS = ['visualbackprop', 'gradcam'] as const;
export type SaliencyMethod = (typeof SALIENCY_METHODS)[number];

/** Each frame of a [N, H, W, 1] batch scaled to [0, 1] by its own min and max. */
export function normalise01(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const lo = tf.min(x, [1, 2, 3], true);
    const hi = tf.max(x, [1, 2, 3], true);
    // A flat map (no contrast) becomes 0 rather than 0/0.
    return tf.div(tf.sub(x, lo), tf.maximum(tf.sub(hi, lo), 1e-12)) as tf.Tensor4D;
  });
}

/**
 * VisualBackProp masks from each stage's feature maps ([N, h, w, C] in
 * stage order), at the input size of the first stage: [N, H, W].
 */
export function visualBackProp(maps: tf.Tensor4D[], stages: ConvStage[]): tf.Tensor3D {
  if (maps.length !== stages.length || maps.length === 0) throw new Error(`visualBackProp: ${maps.length} feature maps for ${stages.length} stages`);
  return tf.tidy(() => {
    const n = maps[0].shape[0];
    const avg = maps.map((m) => normalise01(tf.mean(m, 3, true) as tf.Tensor4D));
    let mask = avg[avg.length - 1];
    for (let k = stages.length - 1; k >= 0; k--) {
      const s = stages[k];
      const ones = tf.ones([s.kernel[0], s.kernel[1], 1, 1]) as tf.Tensor4D;
      // The transposed convolution of the stage itself maps its output grid back onto its input grid.
      mask = tf.conv2dTranspose(mask, ones, [n, s.inH, s.inW, 1], s.stride, s.padding);
      if (k > 0) mask = tf.mul(mask, avg[k - 1]);
    }
    return tf.squeeze(normalise01(mask), [3]) as tf.Tensor3D;
  });
}

/**
 * Grad-CAM masks from the last stage's feature maps `a` ([N, h, w, C]), the
 * gradient of the steering output with respect to them (same shape) and the
 * predictions ([N], any units: only their sign is used), upsampled to
 * height x width: [N, height, width].
 */
export function gradCam(a: tf.Tensor4D, grad: tf.Tensor4D, pred: tf.Tensor1D, height: number, width: number): tf.Tensor3D {
  return tf.tidy(() => {
    // sign(0) = 0 would blank the map of a frame predicted exactly straight: count it as a right turn.
    const sign = tf.reshape(tf.where(tf.less(pred, 0), tf.fill(pred.shape, -1), tf.fill(pred.shape, 1)), [-1, 1, 1, 1]);
    const weights = tf.mean(tf.mul(grad, sign), [1, 2], true);
    const cam = tf.relu(tf.sum(tf.mul(a, weights), 3, true)) as tf.Tensor4D;
    const up = tf.image.resizeBilinear(cam, [height, width]);
    return tf.squeeze(normalise01(up), [3]) as tf.Tensor3D;
  });
}
