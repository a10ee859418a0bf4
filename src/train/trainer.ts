/**
 * The training loop, top to bottom like nanoGPT's train.py: prepare (config
 * check, model, optimizer, target, resume state), then for each epoch and
 * step get a batch, compute the step, log at intervals; at each epoch's end
 * validate in degrees (the last epoch's is the result: no selection on the
 * validation set), stop early, push findings, checkpoint. Only plain
 * numbers leave it.
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
import { CancelledError } from '../errors.ts';
import { createRng, type Rng } from '../rng.ts';
import { finiteBatch, mixSeed } from './batching.ts';
import type { RunResult } from './events.ts';
import { endEpoch, finalFindings } from './epoch-end.ts';
import { runLoop } from './loop.ts';
import { disposeReadbacks, newRunState, type RunState } from './loop-state.ts';
import { prepareRun, type PreparedRun } from './prepare.ts';
import { restoreRun } from './run-checkpoint.ts';
import type { PhasesMs, TrainOptions, TrainOutcome } from './run-types.ts';
import { trainStep } from './train-step.ts';

export type { GradientProvider } from '../engine/provider.ts';
export type { PhasesMs, TrainOptions, TrainOutcome } from './run-types.ts';
export { learningRateAt } from './schedule.ts';
export { mixSeed } from './batching.ts';

/**
 * Trains one run. A failure during training (a thrown error, a non-finite
 * value, cancellation) ends the run with result.status 'failed', 'diverged'
 * or 'cancelled' and is not thrown. Throws, before training starts, a
 * UserError when the config does not fit the data or the checkpoint to
 * resume from was written for another model, and whatever the engine's
 * start-up throws.
 */
export async function trainRun(o: TrainOptions): Promise<TrainOutcome> {
  const p = await prepareRun(o);
  const st = newRunState();
  const restored = o.resume && o.runDir ? await restoreRun(p, st, o.runDir) : null;
  if (restored) o.onEvent?.({ type: 'resumed', epoch: st.firstEpoch, step: st.step, warning: restored.warning });
  if (st.status === 'running') await train(p, st, o);
  else p.opt.dispose(); // resumed after it had stopped early: nothing left to train
  return outcome(p, st, o);
}

/** Epochs x steps through the generic loop; sets st.status (never throws). */
async function train(p: PreparedRun, st: RunState, o: TrainOptions): Promise<void> {
  const { cfg, data } = p;
  let augRng: Rng;
  st.session.startedAt = performance.now();
  try {
    const r = await runLoop({
      epochs: cfg.epochs, firstEpoch: st.firstEpoch, firstStep: st.step, stepsPerEpoch: p.stepsPerEpoch,
      samples: data.train.size, batchSize: cfg.batchSize, seed: cfg.seed, logEvery: cfg.logEvery, signal: o.signal,
      startEpoch(epoch) {
        augRng = createRng(mixSeed(cfg.seed, epoch, 2));
        st.epochLoss = [];
      },
      load: async (idx) => finiteBatch(await data.train.batch(idx, augRng)),
      onBatchWait: (ms) => (st.phases.batch += ms),
      step: async (batch, at) => {
        const v = await trainStep(p, st, o, batch, at);
        // The step's gradients are in: its frames' memory can take a later batch.
        batch.release?.();
        return v;
      },
      endEpoch: (epoch) => endEpoch(p, st, o, epoch),
    });
    st.step = r.steps;
    st.status = r.status === 'diverged' ? 'diverged' : r.status === 'stopped' ? 'stopped-early' : 'completed';
  } catch (err) {
    // Cancellation comes back as CancelledError (a data source may throw its own when the same signal aborts its reads).
    if (err instanceof CancelledError || o.signal?.aborted) st.status = 'cancelled';
    else {
      st.status = 'failed';
      st.error = (err as Error).message;
    }
  } finally {
    disposeReadbacks(st);
    p.opt.dispose();
  }
}

/** The result, the final findings and where the time went. */
function outcome(p: PreparedRun, st: RunState, o: TrainOptions): TrainOutcome {
  const findings = finalFindings(p, st, o);
  const wallMs = performance.now() - p.startedAt;
  const result: RunResult = {
    status: st.status, engine: p.engine.name, ...(p.engine.kernels ? { kernels: p.engine.kernels } : {}), epochs: st.epochs.length, steps: st.step, wallTimeS: wallMs / 1000,
    paramCount: p.model.paramCount(), bestEpoch: st.last?.epoch ?? null, selection: 'last-epoch', val: st.last?.val ?? null, findings, error: st.error,
  };
  const ph = st.phases;
  const phasesMs: PhasesMs = { ...ph, other: Math.max(0, wallMs - ph.batch - ph.step - ph.diagnostics - ph.validation - ph.checkpoint) };
  return {
    result, model: p.model, target: p.target,
    valPredDeg: st.last?.predDeg ?? new Float32Array(0), valTrueDeg: st.last?.trueDeg ?? new Float32Array(0),
    history: { epochs: st.epochs, diagnostics: st.snapshots },
    phasesMs,
  };
}
