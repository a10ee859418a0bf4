/**
 * One training step of trainRun (STYLE 8): loss and gradients (in process,
 * or through a GradientProvider), per-layer squared gradient norms, optional
 * global-norm clipping, the optimizer's update; at logging steps, the
 * read-back of the values kept since the last one and a diagnostics
 * snapshot. Only plain numbers leave it, and only at logging steps.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DiagnosticsSnapshot } from '../diagnostics/types.ts';
import { mixSeed } from './batching.ts';
import type { Batch } from './data.ts';
import { batchTensor } from './evaluate.ts';
import { clipScale, type StepAt, type Verdict } from './loop.ts';
import { flushReadbacks, type RunState } from './loop-state.ts';
import { measureHeads, measureLayers } from './measure.ts';
import type { PreparedRun } from './prepare.ts';
import { providerStep, providerTraces } from './provider-step.ts';
import type { TrainOptions } from './run-types.ts';
import { learningRateAt } from './schedule.ts';
import { disposeStep, lossAndGrads, type StepResult } from './step.ts';

/**
 * The vector a step keeps on the device, [loss, per-layer grad^2, per-layer
 * activation sums], and the gradients to apply (clipped when configured).
 */
function keepAndClip(p: PreparedRun, r: StepResult): { vec: tf.Tensor1D; applied: tf.Tensor[] } {
  const { model, cfg } = p;
  return tf.tidy(() => {
    const gradSq = model.layers.map((l, li) => {
      const first = model.layers.slice(0, li).reduce((a, b) => a + b.variables.length, 0);
      return tf.addN(l.variables.map((_, k) => tf.sum(tf.square(r.grads[first + k]))));
    });
    const sq = tf.stack(gradSq) as tf.Tensor1D;
    let g = r.grads;
    if (cfg.optimizer.clipNorm) {
      const scale = clipScale(tf.sum(sq), cfg.optimizer.clipNorm);
      g = r.grads.map((t) => tf.mul(t, scale));
    }
    return { vec: tf.concat([tf.reshape(r.loss, [1]), sq, r.actSums]) as tf.Tensor1D, applied: g };
  });
}

/** A logging step: read back, then (when every value was finite) snapshot and emit. */
function logStep(p: PreparedRun, st: RunState, o: TrainOptions, r: StepResult, updateSq: tf.Scalar[] | null, y: tf.Tensor2D, n: number, at: StepAt, lr: number): void {
  const { model, target } = p;
  st.nonFinite = flushReadbacks(st, model, p.trunkNames);
  if (st.nonFinite) return;
  const snap: DiagnosticsSnapshot = {
    step: at.step, epoch: at.epoch,
    layers: measureLayers(model, r.grads, updateSq, r.forward ?? null),
    heads: r.forward ? measureHeads(model, r.forward, y, r.headLosses.map((h) => h.dataSync()[0]), target.toDeg) : [],
  };
  st.snapshots.push(snap);
  st.loggedLoss.push(st.lastFiniteLoss!);
  o.onEvent?.({ type: 'diagnostics', snapshot: snap });
  const elapsed = (performance.now() - st.session.startedAt) / 1000;
  const remaining = p.schedule.totalSteps - at.step - 1;
  o.onEvent?.({
    type: 'step', step: at.step, epoch: at.epoch, stepsPerEpoch: p.stepsPerEpoch, loss: st.lastFiniteLoss!, learningRate: lr,
    samplesPerS: elapsed > 0 ? (st.session.samples + n) / elapsed : 0,
    etaS: st.session.steps > 0 ? (remaining * elapsed) / (st.session.steps + 1) : null,
  });
}

/** One step on a batch whose angles are all finite. 'skip' for an empty batch, 'diverged' when a read-back found a non-finite value. */
export async function trainStep(p: PreparedRun, st: RunState, o: TrainOptions, batch: Batch, at: StepAt): Promise<Verdict> {
  if (batch.size === 0) return 'skip'; // every sample's angle was dropped (NaN): nothing to learn from
  const { cfg, model, target, opt } = p;
  const t0 = performance.now();
  const lr = learningRateAt(at.step, cfg.optimizer, p.schedule);
  // With a provider, this thread needs the batch as a tensor only for its own forward pass (batchnorm
  // statistics; logging steps of a provider that sends no traces): skipping it saves a copy of the batch
  // (5 MB at 32 x 66x200).
  const needX = !o.gradientProvider || (at.log && !providerTraces(o.gradientProvider, model)) || model.buffers.length > 0;
  const x = needX ? batchTensor(model, batch, p.data.inputShape) : null;
  const yArr = Float32Array.from(batch.yDeg, (d) => target.toTarget(d));
  const y = tf.tensor2d(yArr, [batch.size, 1]);
  const seed = mixSeed(cfg.seed, at.step, 3);
  const r = o.gradientProvider
    ? await providerStep(o.gradientProvider, model, batch.raw ?? batch.x, yArr, batch.size, x, y, at.log, seed)
    : lossAndGrads(model, x!, y, { l2: cfg.model.l2, seed, trace: at.log });
  const { vec, applied } = keepAndClip(p, r);
  st.pending.push({ step: at.step, vec });
  const updateSq = opt.applyGradients(model.variables, applied, lr, at.log);
  if (applied !== r.grads) applied.forEach((t) => t.dispose());
  const t1 = performance.now();
  st.phases.step += t1 - t0;
  if (at.log) {
    logStep(p, st, o, r, updateSq, y, batch.size, at, lr);
    st.phases.diagnostics += performance.now() - t1;
  }
  updateSq?.forEach((t) => t.dispose());
  disposeStep(r);
  x?.dispose();
  y.dispose();
  st.step = at.step + 1;
  st.session.steps++;
  st.session.samples += batch.size;
  return st.nonFinite ? 'diverged' : undefined;
}
