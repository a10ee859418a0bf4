/**
 * One explicit training step's math: the loss and its gradient with respect
 * to every trainable variable, via tf.variableGrads.
 *
 * loss = MSE(main head, y) + sum_i w_i * MSE(aux head i, y) + l2 * sum ||kernel||^2
 * all in target units (whatever the target transform produced). L2 applies
 * to conv/dense/head kernels only, not to biases or batchnorm gamma/beta.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ForwardArrays } from '../engine/provider.ts';
import type { ForwardResult, Regressor } from '../model/types.ts';

export interface StepOptions {
  l2: number;
  /** Training-mode forward (dropout, batch statistics); default true. */
  training?: boolean;
  /** Dropout seed for this step (see Regressor.apply). */
  seed?: number;
  /** Keep the forward pass (outputs and per-layer traces) for diagnostics; caller disposes it with disposeStep. */
  trace?: boolean;
  /**
   * Compute actSums (default true). Gradient workers skip them: they send back
   * only loss and gradients, and the sums cost one reduction per layer (about
   * 2-3% of a PilotNet step). Without them, actSums is an empty tensor.
   */
  actSums?: boolean;
}

export interface StepResult {
  /** Total weighted loss (incl. L2), in target units squared. */
  loss: tf.Scalar;
  /** Gradients aligned with model.variables. */
  grads: tf.Tensor[];
  /** Unweighted MSE per head: main first, then aux heads in config order. */
  headLosses: tf.Scalar[];
  /** Sum of each trunk layer's output, then the main head's pre-activation:
   *  a non-finite entry means that layer produced Inf/NaN (one cheap reduction per layer). */
  actSums: tf.Tensor1D;
  /** Only with trace: the kept forward pass. */
  forward?: ForwardResult;
}

/** Mean squared error of a [N,1] prediction against [N,1] targets. */
export function mse(pred: tf.Tensor, y: tf.Tensor): tf.Scalar {
  return tf.mean(tf.square(tf.sub(pred, y)));
}

/** Sum of squared kernel entries (L2 penalty before its coefficient). */
function kernelSquares(model: Regressor): tf.Scalar {
  const kernels = model.layers.map((l) => l.variables[0]);
  return tf.addN(kernels.map((k) => tf.sum(tf.square(k)))) as tf.Scalar;
}

/**
 * Loss and gradients for one batch. x: NHWC (or N x features) inputs;
 * yTarget: [N, 1] targets in target units.
 */
export function lossAndGrads(model: Regressor, x: tf.Tensor, yTarget: tf.Tensor2D, o: StepOptions): StepResult {
  let headLosses: tf.Scalar[] = [];
  let actSums: tf.Tensor1D | null = null;
  let forward: ForwardResult | undefined;
  const f = (): tf.Scalar => {
    const fw = model.apply(x, { training: o.training ?? true, trace: true, seed: o.seed });
    const main = mse(fw.output, yTarget);
    const auxLosses = fw.aux.map((a) => mse(a.output, yTarget));
    let total: tf.Scalar = main;
    fw.aux.forEach((a, i) => {
      if (a.lossWeight > 0) total = tf.add(total, tf.mul(auxLosses[i], a.lossWeight));
    });
    if (o.l2 > 0) total = tf.add(total, tf.mul(kernelSquares(model), o.l2));
    headLosses = [main, ...auxLosses].map((t) => tf.keep(t));
    actSums = tf.keep(o.actSums === false ? tf.tensor1d([]) : tf.stack([...fw.traces!.map((t) => tf.sum(t.post)), tf.sum(fw.headPre)]) as tf.Tensor1D);
    if (o.trace) {
      for (const t of forwardTensors(fw)) tf.keep(t);
      forward = fw;
    }
    return total;
  };
  const { value, grads } = tf.variableGrads(f, model.variables);
  return { loss: value, grads: model.variables.map((v) => grads[v.name] ?? tf.zerosLike(v)) /* an aux head with weight 0 has no gradient */, headLosses, actSums: actSums!, forward };
}

/** Every tensor a forward pass returned (a tensor may appear twice: a linear layer's pre is its post). */
export function forwardTensors(fw: ForwardResult): tf.Tensor[] {
  return [fw.output, fw.headPre, ...fw.aux.flatMap((a) => [a.output, a.pre]), ...(fw.traces ?? []).flatMap((t) => [t.pre, t.post])];
}

/**
 * A kept forward pass as plain arrays (a gradient worker sends it back at logging steps); the inverse is
 * forwardFromArrays. `read` turns the distinct tensors into arrays (default: a read-back of each).
 */
export function forwardArrays(fw: ForwardResult, read: (ts: tf.Tensor[]) => Float32Array[] = readBack): ForwardArrays {
  const unique: tf.Tensor[] = [];
  const slots = forwardTensors(fw).map((t) => {
    const i = unique.indexOf(t);
    return i >= 0 ? i : unique.push(t) - 1;
  });
  return {
    aux: fw.aux.map((a) => ({ name: a.name, lossWeight: a.lossWeight })),
    traceNames: (fw.traces ?? []).map((t) => t.name),
    slots,
    arrays: read(unique).map((a) => [a]),
    shapes: unique.map((t) => t.shape.slice()),
  };
}

/** Each tensor's values in an array of its own (the wasm engine's read-back is a copy already; other engines may hand out their own storage). */
function readBack(ts: tf.Tensor[]): Float32Array[] {
  return ts.map((t) => (tf.getBackend() === 'wasm' ? (t.dataSync() as Float32Array) : (t.dataSync() as Float32Array).slice()));
}

/** Tensors again (this thread owns them; dispose with forwardTensors): the ForwardResult forwardArrays was made from. */
export function forwardFromArrays(fa: ForwardArrays): ForwardResult {
  const tensors = fa.arrays.map((blocks, i) => {
    const shape = fa.shapes[i];
    if (blocks.length === 1) return tf.tensor(blocks[0], shape, 'float32');
    // Shards of the batch, joined by the engine (one copy in its memory).
    const per = shape.slice(1).reduce((a, b) => a * b, 1);
    return tf.tidy(() => tf.concat(blocks.map((b) => tf.tensor(b, [b.length / per, ...shape.slice(1)], 'float32')), 0));
  });
  const slot = (k: number) => tensors[fa.slots[k]];
  const nAux = fa.aux.length;
  return {
    output: slot(0) as tf.Tensor2D,
    headPre: slot(1) as tf.Tensor2D,
    aux: fa.aux.map((a, i) => ({ ...a, output: slot(2 + 2 * i) as tf.Tensor2D, pre: slot(3 + 2 * i) as tf.Tensor2D })),
    traces: fa.traceNames.map((name, j) => ({ name, pre: slot(2 + 2 * nAux + 2 * j), post: slot(3 + 2 * nAux + 2 * j) })),
  };
}

/** Disposes every tensor a StepResult holds. */
export function disposeStep(r: StepResult): void {
  const ts: tf.Tensor[] = [r.loss, ...r.grads, ...r.headLosses, r.actSums, ...(r.forward ? forwardTensors(r.forward) : [])];
  // The same tensor can appear twice (e.g. a linear layer's pre === post, a linear head's output === pre).
  for (const t of new Set(ts)) if (!t.isDisposed) t.dispose();
}
