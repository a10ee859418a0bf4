/**
 * The numbers a run changes as it goes, in one object the loop's parts
 * (train-step.ts, epoch-end.ts, run-checkpoint.ts) read and write, and the
 * read-back of the values each step keeps on the device.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DiagnosticsSnapshot } from '../diagnostics/types.ts';
import type { Regressor } from '../model/types.ts';
import type { EvaluationDeg } from '../targets/metrics-types.ts';
import type { EpochEvent, RunStatus } from './events.ts';
import type { PhasesMs } from './run-types.ts';

/**
 * The last epoch's validation: what the run reports. Choosing the epoch with
 * the lowest validation loss would select on the validation set itself and
 * report an optimistic number; the last epoch is not chosen by it.
 */
export interface LastEval {
  epoch: number;
  val: EvaluationDeg;
  predDeg: Float32Array;
  trueDeg: Float32Array;
}

/** The first step that produced a non-finite value, and where. */
export interface NonFinite {
  step: number;
  layer: string;
  where: 'activation' | 'gradient' | 'loss';
  lastFiniteLoss: number | null;
}

export interface RunState {
  /** Global steps taken. */
  step: number;
  /** The epoch the loop starts at (after a resume: the checkpoint's next epoch). */
  firstEpoch: number;
  last: LastEval | null;
  /** Lowest validation loss so far and its epoch: early stopping's patience only, never the reported weights. */
  bestVal: { epoch: number; valLoss: number } | null;
  epochs: EpochEvent[];
  snapshots: DiagnosticsSnapshot[];
  /** The loss of every logging step, target units. */
  loggedLoss: number[];
  status: RunStatus;
  nonFinite: NonFinite | null;
  error: string | null;
  /** This epoch's step losses read back so far (their mean is the epoch's training loss). */
  epochLoss: number[];
  lastFiniteLoss: number | null;
  /** Per-step vectors [loss, per-layer grad^2, per-layer activation sums] not yet read back. */
  pending: { step: number; vec: tf.Tensor1D }[];
  /** Findings already pushed live (kind + layer), so the end of the run does not repeat them. */
  emitted: Set<string>;
  /** Steps and samples of this session (since start or resume) and when it began, for speed and ETA. */
  session: { startedAt: number; steps: number; samples: number };
  phases: Omit<PhasesMs, 'other'>;
}

export function newRunState(): RunState {
  return {
    step: 0, firstEpoch: 0, last: null, bestVal: null, epochs: [], snapshots: [], loggedLoss: [],
    status: 'running', nonFinite: null, error: null, epochLoss: [], lastFiniteLoss: null, pending: [], emitted: new Set(),
    session: { startedAt: performance.now(), steps: 0, samples: 0 },
    phases: { batch: 0, step: 0, diagnostics: 0, validation: 0, checkpoint: 0 },
  };
}

/**
 * Reads the per-step vectors kept since the last read (one sync), appends
 * the finite losses to epochLoss, and returns the first non-finite step and
 * layer, if any (the vectors after it are dropped unread).
 */
export function flushReadbacks(st: RunState, model: Regressor, trunkNames: string[]): NonFinite | null {
  if (st.pending.length === 0) return null;
  const all = tf.tidy(() => tf.concat(st.pending.map((p) => p.vec)));
  const d = all.dataSync();
  all.dispose();
  const L = model.layers.length;
  const len = d.length / st.pending.length;
  const actNames = [...trunkNames, 'head'];
  let found: NonFinite | null = null;
  st.pending.forEach((p, k) => {
    const v = d.subarray(k * len, (k + 1) * len);
    if (!found) {
      const act = actNames.findIndex((_, i) => !Number.isFinite(v[1 + L + i]));
      const grad = model.layers.findIndex((_, i) => !Number.isFinite(v[1 + i]));
      const lastFiniteLoss = st.lastFiniteLoss;
      if (act >= 0) found = { step: p.step, layer: actNames[act], where: 'activation', lastFiniteLoss };
      else if (grad >= 0) found = { step: p.step, layer: model.layers[grad].name, where: 'gradient', lastFiniteLoss };
      else if (!Number.isFinite(v[0])) found = { step: p.step, layer: 'head', where: 'loss', lastFiniteLoss };
      else {
        st.lastFiniteLoss = v[0];
        st.epochLoss.push(v[0]);
      }
    }
    p.vec.dispose();
  });
  st.pending.length = 0;
  return found;
}

/** Disposes the vectors not read back (a run that ended early). */
export function disposeReadbacks(st: RunState): void {
  for (const p of st.pending) p.vec.dispose();
  st.pending.length = 0;
}
