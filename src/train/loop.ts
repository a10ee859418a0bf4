/**
 * The generic training loop every trainer in the lab runs through (trainRun
 * and the studies): epochs x steps over a seeded shuffle, the next batch
 * loaded while this step computes, logging at intervals, a verdict after
 * every step and epoch (the non-finite guard and early stopping stop it
 * there), and cancellation: an aborted signal ends it with CancelledError.
 *
 * The order of epoch e is shuffled(samples, mixSeed(seed, e, 1)), a function
 * of (seed, epoch) alone, so a run resumed at an epoch repeats the
 * uninterrupted run.
 */
import * as tf from '@tensorflow/tfjs-core';
import { CancelledError } from '../errors.ts';
import { mixSeed, shuffled } from './batching.ts';
import type { Optimizer } from './optimizer.ts';

/** Where the loop is: global step (0-based, counting steps actually taken), epoch and step within it. */
export interface StepAt {
  epoch: number;
  step: number;
  stepInEpoch: number;
  /** True every logEvery global steps (step % logEvery === 0): read tensors back only then. */
  log: boolean;
}

/**
 * What a hook says: continue (void), 'skip' (a step: nothing was learned, the
 * global step does not advance), 'stop' (end early, e.g. early stopping) or
 * 'diverged' (a non-finite reading: nothing more to learn).
 */
export type Verdict = void | 'skip' | 'stop' | 'diverged';

export interface LoopSpec<B> {
  epochs: number;
  /** Resume: the first epoch to run and the global steps taken before it. */
  firstEpoch?: number;
  firstStep?: number;
  stepsPerEpoch: number;
  /** Samples shuffled each epoch; batch s takes order[s * batchSize, (s + 1) * batchSize) (the last may be short). */
  samples: number;
  batchSize: number;
  seed: number;
  logEvery: number;
  signal?: AbortSignal;
  /** Yield to the event loop (abort signals, I/O) every this many steps; default 1. */
  yieldEvery?: number;
  /** Called before an epoch's first batch is loaded (per-epoch streams, e.g. augmentation). */
  startEpoch?(epoch: number): void;
  /** Loads one batch. The loop asks for batch s + 1 as soon as batch s has arrived, so loading overlaps the step. */
  load(indices: Int32Array, epoch: number): Promise<B>;
  /** Called around each wait for a batch, with the milliseconds it blocked (phase timings). */
  onBatchWait?(ms: number): void;
  /** One training step. */
  step(batch: B, at: StepAt): Verdict | Promise<Verdict>;
  /** After an epoch's steps (validation, checkpoints). steps: global steps taken so far. */
  endEpoch?(epoch: number, steps: number): Verdict | Promise<Verdict>;
}

export interface LoopResult {
  /** 'completed' (every epoch ran), 'stopped' (a hook said stop) or 'diverged'. */
  status: 'completed' | 'stopped' | 'diverged';
  /** Global steps taken (including those before firstEpoch). */
  steps: number;
}

const nextTick = () => new Promise<void>((r) => setImmediate(r));

/** Runs the loop. Throws CancelledError when the signal aborts; whatever a hook throws passes through. */
export async function runLoop<B>(spec: LoopSpec<B>): Promise<LoopResult> {
  const { batchSize, samples, stepsPerEpoch } = spec;
  const yieldEvery = Math.max(1, spec.yieldEvery ?? 1);
  let step = spec.firstStep ?? 0;
  for (let epoch = spec.firstEpoch ?? 0; epoch < spec.epochs; epoch++) {
    const order = shuffled(samples, mixSeed(spec.seed, epoch, 1));
    spec.startEpoch?.(epoch);
    const fetch = (s: number) => {
      const t = performance.now();
      const p = spec.load(order.subarray(s * batchSize, Math.min(samples, (s + 1) * batchSize)), epoch);
      p.catch(() => undefined); // awaited below; avoid an unhandled rejection when cancelled first
      spec.onBatchWait?.(performance.now() - t); // the synchronous part of loading runs on this thread
      return p;
    };
    let next = stepsPerEpoch > 0 ? fetch(0) : null;
    for (let s = 0; s < stepsPerEpoch; s++) {
      if (s % yieldEvery === 0) await nextTick(); // let abort signals and I/O in
      if (spec.signal?.aborted) throw new CancelledError('training cancelled');
      const t = performance.now();
      const batch = await next!;
      spec.onBatchWait?.(performance.now() - t);
      if (s + 1 < stepsPerEpoch) next = fetch(s + 1);
      const v = await spec.step(batch, { epoch, step, stepInEpoch: s, log: step % spec.logEvery === 0 });
      if (v === 'skip') continue;
      step++;
      if (v === 'diverged') return { status: 'diverged', steps: step };
      if (v === 'stop') return { status: 'stopped', steps: step };
    }
    if (spec.signal?.aborted) throw new CancelledError('training cancelled');
    const v = await spec.endEpoch?.(epoch, step);
    if (v === 'diverged') return { status: 'diverged', steps: step };
    if (v === 'stop') return { status: 'stopped', steps: step };
  }
  return { status: 'completed', steps: step };
}

/** The factor that scales gradients to a global L2 norm of at most clipNorm (sumSq: the squared norm). */
export function clipScale(sumSq: tf.Scalar, clipNorm: number): tf.Scalar {
  return tf.minimum(1, tf.div(clipNorm, tf.add(tf.sqrt(sumSq), 1e-12)));
}

export interface GradientStepOptions {
  /** Clip the global gradient L2 norm to this value (absent or null = no clipping). */
  clipNorm?: number | null;
  /** Sees the raw gradients (aligned with vars) before the update, e.g. to read norms at a logging step. */
  inspect?(grads: tf.Tensor[]): void;
}

/**
 * One explicit step for a hand-built net (the studies): gradients of loss()
 * with respect to vars, optional global-norm clipping, the optimizer's
 * update. Returns the loss value (caller disposes); nothing is read back.
 */
export function gradientStep(opt: Optimizer, vars: tf.Variable[], loss: () => tf.Scalar, lr: number, o: GradientStepOptions = {}): tf.Scalar {
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(loss, vars);
    // A variable the loss does not reach has no gradient: it gets zeros, so grads stay aligned with vars.
    let g = vars.map((v) => grads[v.name] ?? tf.zerosLike(v));
    o.inspect?.(g);
    if (o.clipNorm) {
      const scale = clipScale(tf.addN(g.map((t) => tf.sum(tf.square(t)))) as tf.Scalar, o.clipNorm);
      g = g.map((t) => tf.mul(t, scale));
    }
    opt.applyGradients(vars, g, lr, false);
    return value;
  });
}
