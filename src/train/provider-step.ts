/** The trainer's step when a GradientProvider computes the gradients. */
import * as tf from '@tensorflow/tfjs-core';
import type { ForwardResult, Regressor } from '../model/types.ts';
import { readInto } from '../engine/heap-ops.ts';
import type { GradientProvider, ModelInput } from '../engine/provider.ts';
import { forwardFromArrays, forwardTensors, mse } from './step.ts';

/**
 * One step through a GradientProvider. It returns plain arrays (no activation
 * sums: non-finite activations show up through the loss and gradients).
 * At logging steps the per-layer traces come from the provider's own forward
 * pass when it offers them (providerTraces: the forward pass its gradients
 * came from, per sample the same numbers this thread would compute). Locally
 * we still run a training-mode forward pass (no gradients) when the model has
 * batchnorm, because the provider's workers cannot update our moving
 * averages, and at logging steps of a provider without traces; x (the batch
 * as a tensor) is needed only then, and may be null otherwise.
 */
export function providerTraces(p: GradientProvider, model: Regressor): boolean {
  return p.traces === true && model.buffers.length === 0;
}

export async function providerStep(p: GradientProvider, model: Regressor, xIn: ModelInput, yArr: Float32Array, n: number, x: tf.Tensor | null, y: tf.Tensor2D, log: boolean, seed: number) {
  // The workers start first; this thread's forward pass (if any) runs while they compute,
  // instead of after them: on a machine with spare cores it costs no wall time.
  // The variables' values, written straight into the provider's shared memory when it offers it (no arrays
  // allocated per step), else read back (getWeights would copy each once more). The optimizer changes the
  // variables only after this step's gradients have arrived, so they stay valid while the provider computes.
  const vars = model.variables;
  const weights = p.weightViews
    ? p.weightViews(vars.map((v) => v.size)).map((w, i) => readInto(vars[i], w))
    : vars.map((v) => v.dataSync() as Float32Array);
  const remote = log && providerTraces(p, model);
  const pending = p.compute(weights, xIn, yArr, n, { trace: remote });
  pending.catch(() => undefined); // awaited below; a failure here must not surface as unhandled first
  let forward: ForwardResult | undefined;
  let headLosses: tf.Scalar[] = [];
  const hasBn = model.buffers.length > 0;
  if ((log && !remote) || hasBn) {
    if (!x) throw new Error('providerStep: a logging or batchnorm step needs the batch tensor');
    tf.tidy(() => {
      // Runs on the weights the gradients are computed at (the optimizer has not stepped yet).
      const fw = model.apply(x, { training: true, trace: log, updateStats: hasBn, seed });
      if (!log) return;
      headLosses = [fw.output, ...fw.aux.map((a) => a.output)].map((t) => tf.keep(mse(t, y)));
      for (const t of forwardTensors(fw)) tf.keep(t);
      forward = fw;
    });
  }
  let res: Awaited<typeof pending>;
  try {
    res = await pending;
    if (res.grads.length !== model.variables.length) throw new Error(`gradient provider returned ${res.grads.length} gradients for ${model.variables.length} variables`);
  } catch (err) {
    const fw = forward as ForwardResult | undefined;
    if (fw) tf.dispose(forwardTensors(fw));
    tf.dispose(headLosses);
    throw err;
  }
  if (remote) {
    if (!res.forward) throw new Error('gradient provider returned no forward pass for a logging step');
    forward = forwardFromArrays(res.forward);
    const fw = forward;
    headLosses = tf.tidy(() => [fw.output, ...fw.aux.map((a) => a.output)].map((t) => tf.keep(mse(t, y))));
  }
  const grads = res.grads.map((g, i) => tf.tensor(g, model.variables[i].shape, 'float32'));
  const actSums = tf.zeros([model.plan.trunk.length + 1]) as tf.Tensor1D;
  return { loss: tf.scalar(res.loss), grads, headLosses, actSums, forward };
}
