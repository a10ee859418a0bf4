/**
 * The training loop: an explicit step (variableGrads -> clip -> optimizer
 * update -> diagnostics every logEvery steps), epochs with validation in
 * degrees (the last epoch's is the result: no selection on the validation
 * set), early stopping, atomic epoch checkpoints and resume, a
 * non-finite guard, and cancellation. Only plain numbers leave it.
 *
 * Read-backs: each step keeps one small tensor [loss, per-layer grad^2,
 * per-layer activation sums]; they are read together at logging steps and
 * at the end of each epoch (one sync per logEvery steps). That gives every
 * step's loss and finds the first non-finite step and layer exactly.
 *
 * Reproducibility: the batch order, augmentation and dropout streams are
 * derived from (seed, epoch) and (seed, step), so a run resumed from an
 * epoch checkpoint repeats the uninterrupted run.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../engine/index.ts';
import { CancelledError, UserError } from '../errors.ts';
import { computeFindings } from '../diagnostics/findings.ts';
import type { DiagnosticsSnapshot, Finding } from '../diagnostics/types.ts';
import { createRegressor, headRange } from '../model/index.ts';
import type { Regressor } from '../model/types.ts';
import { createTargetTransform, type TargetTransform } from '../targets/transform.ts';
import { angleBins, evaluateDeg, finiteMean } from '../targets/metrics.ts';
import type { EvaluationDeg } from '../targets/metrics-types.ts';
import { createRng } from '../rng.ts';
import { readCheckpoint, writeCheckpoint } from './checkpoint.ts';
import { RunConfig, type RunConfigInput } from './config.ts';
import type { TrainingData } from './data.ts';
import { batchTensor, evaluateSource } from './evaluate.ts';
import type { EpochEvent, RunResult, RunStatus, TrainEvent } from './events.ts';
import { measureHeads, measureLayers } from './measure.ts';
import { createOptimizer } from './optimizer.ts';
import type { GradientProvider } from './provider.ts';
import { learningRateAt } from './schedule.ts';
import { disposeStep, lossAndGrads } from './step.ts';
import { chunk, finiteBatch, mixSeed, shuffled } from './batching.ts';
import { providerStep } from './provider-step.ts';

export type { GradientProvider } from './provider.ts';
export { learningRateAt } from './schedule.ts';
export { mixSeed } from './batching.ts';

export interface TrainOptions {
  config: RunConfig | RunConfigInput;
  data: TrainingData;
  signal?: AbortSignal;
  onEvent?(e: TrainEvent): void;
  /** Checkpoints go to runDir/checkpoints (none when absent). */
  runDir?: string;
  /** Continue from runDir's last checkpoint when there is one. */
  resume?: boolean;
  /** Replaces the in-process gradient computation (e.g. ENGINE's worker pool). */
  gradientProvider?: GradientProvider;
}

export interface TrainOutcome {
  result: RunResult;
  /** The model with the last epoch's weights, the ones the result reports (caller disposes). */
  model: Regressor;
  target: TargetTransform;
  valPredDeg: Float32Array;
  valTrueDeg: Float32Array;
  history: { epochs: EpochEvent[]; diagnostics: DiagnosticsSnapshot[] };
}

/**
 * The last epoch's validation: what the run reports. Choosing the epoch with
 * the lowest validation loss would select on the validation set itself and
 * report an optimistic number; the last epoch is not chosen by it.
 */
interface LastEval {
  epoch: number;
  val: EvaluationDeg;
  predDeg: Float32Array;
  trueDeg: Float32Array;
}
type NonFinite = { step: number; layer: string; where: 'activation' | 'gradient' | 'loss'; lastFiniteLoss: number | null };

/** Trains one run. Never throws for training failures: they end in result.status. */
export async function trainRun(o: TrainOptions): Promise<TrainOutcome> {
  const cfg = RunConfig.parse(o.config);
  const t0 = performance.now();
  const engine = await initEngine(cfg.engine);
  const { data, signal } = o;
  const emit = (e: TrainEvent) => o.onEvent?.(e);
  const [H, W, C] = data.inputShape;
  const mc = cfg.model;
  if (mc.arch === 'pilotnet' && (mc.input.height !== H || mc.input.width !== W || mc.input.channels !== C)) {
    throw new UserError(`model input ${mc.input.height}x${mc.input.width}x${mc.input.channels} does not match the data's ${H}x${W}x${C}; set model.input to the data's frame size`);
  }
  if (mc.arch === 'mlp' && mc.input.height * mc.input.width * mc.input.channels !== H * W * C) {
    throw new UserError(`mlp input has ${mc.input.width * mc.input.height * mc.input.channels} features but the data has ${H * W * C}`);
  }
  if (data.train.size === 0 || data.val.size === 0) throw new UserError(`need training and validation samples (got ${data.train.size} and ${data.val.size})`);

  const target = createTargetTransform(cfg.targets, data.train.anglesDeg);
  const trainMeanDeg = finiteMean(data.train.anglesDeg);
  const bins = angleBins(data.train.anglesDeg);
  const model = createRegressor(mc, cfg.seed);
  const opt = createOptimizer(cfg.optimizer);
  const fullSteps = Math.ceil(data.train.size / cfg.batchSize);
  const stepsPerEpoch = cfg.maxStepsPerEpoch > 0 ? Math.min(fullSteps, cfg.maxStepsPerEpoch) : fullSteps;
  const ctx = { totalSteps: cfg.epochs * stepsPerEpoch, stepsPerEpoch };
  const trunkNames = model.plan.trunk.map((l) => l.name);

  let step = 0;
  let firstEpoch = 0;
  let last: LastEval | null = null;
  /** Lowest validation loss so far and its epoch: early stopping's patience only, never the reported weights. */
  let bestVal: { epoch: number; valLoss: number } | null = null;
  let epochs: EpochEvent[] = [];
  let snapshots: DiagnosticsSnapshot[] = [];
  let loggedLoss: number[] = [];
  let status: RunStatus = 'running';
  let nonFinite: NonFinite | null = null;
  let error: string | null = null;

  if (o.resume && o.runDir) {
    const ck = await readCheckpoint(o.runDir);
    if (ck) {
      const s = ck.meta.state as {
        iterations: number; last: Omit<LastEval, 'predDeg' | 'trueDeg'> | null; bestVal: { epoch: number; valLoss: number } | null;
        epochs: EpochEvent[]; snapshots: DiagnosticsSnapshot[]; loggedLoss: number[]; stoppedEarly: boolean;
      };
      try {
        model.setWeights(ck.groups.weights);
        model.setBuffers(ck.groups.buffers);
      } catch (err) {
        model.dispose();
        throw new UserError(`the checkpoint in ${o.runDir} was written for a different model (${(err as Error).message}); resume with the run's own config.json`);
      }
      opt.setState({ iterations: s.iterations, slots: ck.groups.slots.length ? chunk(ck.groups.slots, opt.name === 'adam' ? 2 : 1) : [] });
      step = ck.meta.step;
      firstEpoch = ck.meta.rng.nextEpoch;
      epochs = s.epochs;
      snapshots = s.snapshots;
      loggedLoss = s.loggedLoss;
      if (s.last && ck.groups.valPred?.length) last = { ...s.last, predDeg: ck.groups.valPred[0], trueDeg: ck.groups.valTrue[0] };
      bestVal = s.bestVal ?? null;
      if (s.stoppedEarly) status = 'stopped-early';
    }
  }

  const trainTargets = Float32Array.from(data.train.anglesDeg, (d) => target.toTarget(d));
  const findingsNow = (final: boolean): Finding[] =>
    computeFindings({
      snapshots, trunkLayers: trunkNames,
      head: { name: 'head', kind: mc.head, range: headRange(mc.head, mc.headScale) },
      trainTargets, toDeg: target.toDeg,
      epochTrainLoss: epochs.map((e) => e.trainLoss), stepLoss: final ? loggedLoss : [],
      evaluation: last?.val ?? null, nonFinite,
    });
  /** Findings already pushed live (kind + layer), so the end of the run does not repeat them. */
  const emitted = new Set<string>();
  const findingKey = (f: Finding) => `${f.kind}:${f.layer ?? ''}`;

  const pendingVecs: { step: number; vec: tf.Tensor1D }[] = [];
  let lastFiniteLoss: number | null = null;
  /** Reads the per-step vectors kept since the last read; returns the first non-finite step, if any. */
  const flush = (): NonFinite | null => {
    if (pendingVecs.length === 0) return null;
    const all = tf.tidy(() => tf.concat(pendingVecs.map((p) => p.vec)));
    const d = all.dataSync();
    all.dispose();
    const L = model.layers.length;
    const len = d.length / pendingVecs.length;
    let found: NonFinite | null = null;
    pendingVecs.forEach((p, k) => {
      const v = d.subarray(k * len, (k + 1) * len);
      if (!found) {
        const actNames = [...trunkNames, 'head'];
        const act = actNames.findIndex((_, i) => !Number.isFinite(v[1 + L + i]));
        const grad = model.layers.findIndex((_, i) => !Number.isFinite(v[1 + i]));
        if (act >= 0) found = { step: p.step, layer: actNames[act], where: 'activation', lastFiniteLoss };
        else if (grad >= 0) found = { step: p.step, layer: model.layers[grad].name, where: 'gradient', lastFiniteLoss };
        else if (!Number.isFinite(v[0])) found = { step: p.step, layer: 'head', where: 'loss', lastFiniteLoss };
        else {
          lastFiniteLoss = v[0];
          epochLoss.push(v[0]);
        }
      }
      p.vec.dispose();
    });
    pendingVecs.length = 0;
    return found;
  };
  let epochLoss: number[] = [];
  const sessionStart = performance.now();
  let sessionSamples = 0;
  let sessionSteps = 0;

  try {
    for (let epoch = firstEpoch; epoch < cfg.epochs && status === 'running'; epoch++) {
      const order = shuffled(data.train.size, mixSeed(cfg.seed, epoch, 1));
      const augRng = createRng(mixSeed(cfg.seed, epoch, 2));
      epochLoss = [];
      const fetch = (s: number) => {
        const idx = order.subarray(s * cfg.batchSize, Math.min(data.train.size, (s + 1) * cfg.batchSize));
        const p = data.train.batch(idx, augRng);
        p.catch(() => undefined); // awaited below; avoid an unhandled rejection when cancelled first
        return p;
      };
      let next = fetch(0);
      for (let s = 0; s < stepsPerEpoch; s++) {
        await new Promise((r) => setImmediate(r)); // let abort signals and I/O in
        if (signal?.aborted) {
          status = 'cancelled';
          break;
        }
        const batch = finiteBatch(await next);
        if (s + 1 < stepsPerEpoch) next = fetch(s + 1); // prefetch while this step computes
        if (batch.size === 0) continue; // every sample's angle was dropped (NaN): nothing to learn from
        const log = step % cfg.logEvery === 0;
        const lr = learningRateAt(step, cfg.optimizer, ctx);
        const x = batchTensor(model, batch, data.inputShape);
        const yArr = Float32Array.from(batch.yDeg, (d) => target.toTarget(d));
        const y = tf.tensor2d(yArr, [batch.size, 1]);
        const r = o.gradientProvider
          ? await providerStep(o.gradientProvider, model, batch.x, yArr, batch.size, x, y, log, mixSeed(cfg.seed, step, 3))
          : lossAndGrads(model, x, y, { l2: mc.l2, seed: mixSeed(cfg.seed, step, 3), trace: log });
        const { vec, applied } = tf.tidy(() => {
          const gradSq = model.layers.map((l, li) => {
            const first = model.layers.slice(0, li).reduce((a, b) => a + b.variables.length, 0);
            return tf.addN(l.variables.map((_, k) => tf.sum(tf.square(r.grads[first + k]))));
          });
          const sq = tf.stack(gradSq) as tf.Tensor1D;
          let g = r.grads;
          if (cfg.optimizer.clipNorm) {
            const scale = tf.minimum(1, tf.div(cfg.optimizer.clipNorm, tf.add(tf.sqrt(tf.sum(sq)), 1e-12)));
            g = r.grads.map((t) => tf.mul(t, scale));
          }
          return { vec: tf.concat([tf.reshape(r.loss, [1]), sq, r.actSums]) as tf.Tensor1D, applied: g };
        });
        pendingVecs.push({ step, vec });
        const updateSq = opt.applyGradients(model.variables, applied, lr, log);
        if (applied !== r.grads) applied.forEach((t) => t.dispose());
        if (log) {
          nonFinite = flush();
          if (!nonFinite) {
            const snap: DiagnosticsSnapshot = {
              step, epoch,
              layers: measureLayers(model, r.grads, updateSq, r.forward ?? null),
              heads: r.forward ? measureHeads(model, r.forward, y, r.headLosses.map((h) => h.dataSync()[0]), target.toDeg) : [],
            };
            snapshots.push(snap);
            loggedLoss.push(lastFiniteLoss!);
            emit({ type: 'diagnostics', snapshot: snap });
            const elapsed = (performance.now() - sessionStart) / 1000;
            const remaining = ctx.totalSteps - step - 1;
            emit({
              type: 'step', step, epoch, stepsPerEpoch, loss: lastFiniteLoss!, learningRate: lr,
              samplesPerS: elapsed > 0 ? (sessionSamples + batch.size) / elapsed : 0,
              etaS: sessionSteps > 0 ? (remaining * elapsed) / (sessionSteps + 1) : null,
            });
          }
        }
        updateSq?.forEach((t) => t.dispose());
        disposeStep(r);
        x.dispose();
        y.dispose();
        step++;
        sessionSteps++;
        sessionSamples += batch.size;
        if (nonFinite) break;
      }
      if (status === 'cancelled') break;
      nonFinite ??= flush();
      if (nonFinite) {
        status = 'diverged';
        break;
      }
      const ev = await evaluateSource(model, data.val, target, cfg.batchSize, data.inputShape, signal);
      if (!ev) {
        status = 'cancelled';
        break;
      }
      if (!Number.isFinite(ev.valLoss)) {
        nonFinite = { step: step - 1, layer: 'head', where: 'activation', lastFiniteLoss };
        status = 'diverged';
        break;
      }
      const val = evaluateDeg(ev.predDeg, ev.trueDeg, trainMeanDeg, bins);
      const trainLoss = epochLoss.reduce((a, b) => a + b, 0) / Math.max(1, epochLoss.length);
      const e: EpochEvent = { type: 'epoch', epoch, trainLoss, valLoss: ev.valLoss, val, elapsedS: (performance.now() - t0) / 1000 };
      epochs.push(e);
      emit(e);
      last = { epoch, val, predDeg: ev.predDeg, trueDeg: ev.trueDeg };
      if (!bestVal || ev.valLoss < bestVal.valLoss) bestVal = { epoch, valLoss: ev.valLoss };
      if (cfg.earlyStopPatience > 0 && epoch - bestVal.epoch >= cfg.earlyStopPatience) status = 'stopped-early';
      // Live findings: a problem is pushed the first epoch it is measured (the final list is in the result).
      for (const f of findingsNow(false)) {
        if (f.kind === 'healthy' || emitted.has(findingKey(f))) continue;
        emitted.add(findingKey(f));
        emit({ type: 'finding', finding: f });
      }
      if (o.runDir) {
        const os = opt.getState();
        const path = await writeCheckpoint(
          o.runDir,
          {
            epoch, step, rng: { seed: cfg.seed, nextEpoch: epoch + 1, nextStep: step },
            state: {
              iterations: os.iterations, epochs, snapshots, loggedLoss, stoppedEarly: status === 'stopped-early',
              last: { epoch: last.epoch, val: last.val }, bestVal,
            },
          },
          { weights: model.getWeights(), buffers: model.getBuffers(), slots: os.slots.flat(), valPred: [last.predDeg], valTrue: [last.trueDeg] },
        );
        emit({ type: 'checkpoint', epoch, path });
      }
    }
    if (status === 'running') status = 'completed';
  } catch (err) {
    // A data source may throw CancelledError when the same signal aborts its reads.
    if (err instanceof CancelledError || signal?.aborted) status = 'cancelled';
    else {
      status = 'failed';
      error = (err as Error).message;
    }
  } finally {
    for (const p of pendingVecs) p.vec.dispose();
    pendingVecs.length = 0;
    opt.dispose();
  }

  const findings = findingsNow(true);
  for (const f of findings) if (f.kind === 'healthy' || !emitted.has(findingKey(f))) emit({ type: 'finding', finding: f });
  const result: RunResult = {
    status, engine: engine.name, epochs: epochs.length, steps: step, wallTimeS: (performance.now() - t0) / 1000,
    paramCount: model.paramCount(), bestEpoch: last?.epoch ?? null, selection: 'last-epoch', val: last?.val ?? null, findings, error,
  };
  return {
    result, model, target,
    valPredDeg: last?.predDeg ?? new Float32Array(0), valTrueDeg: last?.trueDeg ?? new Float32Array(0),
    history: { epochs, diagnostics: snapshots },
  };
}

