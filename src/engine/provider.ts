/**
 * A pluggable gradient computation: the worker-thread pool (parallel.ts)
 * implements it, the trainer (train/) consumes it. It lives in engine/ so
 * that engine/ never imports train/. The trainer's default is in-process
 * (train/step.ts).
 */
import type { RawBatch } from '../data/raw-batch.ts';
/**
 * A traced training-mode forward pass as plain arrays (what a worker computed
 * on the way to its gradients), for the diagnostics of a logging step. The
 * slots are [output, headPre, then each aux head's output and pre, then each
 * layer's pre and post]; each names an entry of arrays/shapes (one tensor
 * can fill two slots: a linear layer's pre is its post). Each entry of
 * arrays is [samples, ...] in the batch's sample order, as one or more blocks
 * of whole samples (one per worker shard: joining them is left to the
 * tensor that is made of them, instead of a copy here); shapes are the
 * whole batch's.
 */
export interface ForwardArrays {
  aux: { name: string; lossWeight: number }[];
  traceNames: string[];
  slots: number[];
  arrays: Float32Array[][];
  shapes: number[][];
}

/**
 * A batch of model inputs: floats (n inputs, flattened NHWC, or n x features), or a RawBatch (uint8 frames
 * plus their drawn augmentation) that the provider turns into exactly the floats FrameBatch.x would be.
 */
export type ModelInput = Float32Array | RawBatch;

export interface ComputeResult {
  loss: number;
  /** Aligned with the weights. May be views of memory the provider reuses: valid until the next compute call. */
  grads: Float32Array[];
  /**
   * With trace: the forward pass the gradients came from, over the whole batch. Its arrays may be views of
   * memory the provider reuses: valid until the next compute call (make tensors of them before that).
   */
  forward?: ForwardArrays;
}

export interface GradientProvider {
  /**
   * Loss and gradients for one batch at the given weights.
   * weights: aligned with Regressor.variables (getWeights order);
   * x: n inputs (ModelInput); yTarget: n targets in target units.
   * Returns grads aligned with weights. The loss is the same weighted total as lossAndGrads.
   * Rejects with CancelledError once the provider was stopped.
   */
  compute(weights: Float32Array[], x: ModelInput, yTarget: Float32Array, n: number, o?: { trace?: boolean }): Promise<ComputeResult>;
  /**
   * Whether compute honours trace (returns the forward pass it ran, so the
   * trainer need not run its own at logging steps). Only for models without
   * buffers or dropout, where the provider's forward pass is the trainer's.
   */
  readonly traces?: boolean;
  /**
   * Optional: arrays (one per weight, of these lengths) that compute takes without copying them: the caller
   * writes the weights there instead of into arrays of its own. Valid for the next compute call.
   */
  weightViews?(lengths: number[]): Float32Array[];
  /**
   * Optional: the inference-mode forward pass (training: false) of one batch
   * at the given weights: the main head's n outputs in target units, the same
   * numbers as Regressor.apply on this thread (the validation pass uses it to
   * keep every core busy). Not for models with buffers (batchnorm moving
   * averages are not sent). Rejects with CancelledError once stopped.
   */
  predict?(weights: Float32Array[], x: ModelInput, n: number): Promise<Float32Array>;
  /** How many predict() calls are worth keeping in flight (the worker count); default 1. */
  readonly concurrency?: number;
  dispose(): void;
}
