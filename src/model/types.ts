/**
 * A steering regressor built by createRegressor(cfg, seed): an explicit list
 * of layers applied in order, so the trainer can read every layer's
 * pre-activation and output for diagnostics.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig } from './config.ts';
import type { ModelPlan } from './plan.ts';

export interface LayerInfo {
  /** Stable name: 'conv1'..'conv5', 'dense1'..'dense3', 'head', 'aux_<after>' ... */
  name: string;
  kind: 'conv' | 'dense' | 'head';
  activation: string;
  /** Trainable variables of this layer (kernel, bias, batchnorm gamma/beta). */
  variables: tf.Variable[];
  fanIn: number;
  fanOut: number;
}

export interface LayerTrace {
  name: string;
  /** Before the activation (after batchnorm if any). */
  pre: tf.Tensor;
  /** After the activation. */
  post: tf.Tensor;
}

export interface ForwardResult {
  /** Main head output, shape [N, 1], in target units (after the head's tanh if any). */
  output: tf.Tensor2D;
  /** Main head pre-activation, shape [N, 1]. */
  headPre: tf.Tensor2D;
  /** Auxiliary heads in config order: output and pre-activation, each [N, 1]. */
  aux: { name: string; output: tf.Tensor2D; pre: tf.Tensor2D; lossWeight: number }[];
  /** Per-layer traces, only when asked for (they keep tensors alive). */
  traces?: LayerTrace[];
}

/** Options of Regressor.apply (CORE extension: seed, updateStats). */
export interface ApplyOptions {
  training: boolean;
  /** Keep per-layer pre-activation and output tensors in ForwardResult.traces. */
  trace?: boolean;
  /** Dropout seed for this call (the trainer derives it from run seed and step, so resumes repeat it). */
  seed?: number;
  /** Update batchnorm moving averages (default: = training). */
  updateStats?: boolean;
}

export interface Regressor {
  readonly config: ModelConfig;
  readonly layers: LayerInfo[];
  /** All trainable variables, in a fixed order (the order of getWeights). */
  readonly variables: tf.Variable[];
  /** Non-trainable state (batchnorm moving mean/variance), in a fixed order. */
  readonly buffers: tf.Variable[];
  /** Layer names and shapes, incl. the padding each conv got. */
  readonly plan: ModelPlan;
  paramCount(): number;
  apply(x: tf.Tensor, opts: ApplyOptions): ForwardResult;
  getWeights(): Float32Array[];
  setWeights(values: Float32Array[]): void;
  getBuffers(): Float32Array[];
  setBuffers(values: Float32Array[]): void;
  dispose(): void;
}
