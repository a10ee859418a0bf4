/** What trainRun takes and gives back (trainer.ts re-exports these). */
import type { DiagnosticsSnapshot } from '../diagnostics/types.ts';
import type { GradientProvider } from '../engine/provider.ts';
import type { Regressor } from '../model/types.ts';
import type { TargetTransform } from '../targets/transform.ts';
import type { RunConfig, RunConfigInput } from './config.ts';
import type { TrainingData } from './data.ts';
import type { EpochEvent, RunResult, TrainEvent } from './events.ts';

export interface TrainOptions {
  config: RunConfig | RunConfigInput;
  data: TrainingData;
  /** Aborting ends the run with status 'cancelled' (at the next step or validation batch). */
  signal?: AbortSignal;
  onEvent?(e: TrainEvent): void;
  /** Checkpoints go to runDir/checkpoints (none when absent). */
  runDir?: string;
  /** Continue from runDir's last checkpoint when there is one. */
  resume?: boolean;
  /** Replaces the in-process gradient computation (e.g. ENGINE's worker pool). */
  gradientProvider?: GradientProvider;
}

/**
 * Where a run's wall time went, in milliseconds on the training thread
 * (performance.now() around each phase; no extra tensor read-back):
 * - batch: blocked waiting for the next batch (loading, augmentation, and the
 *   synchronous part of starting the next prefetch);
 * - step: forward, backward and the optimizer update (on async backends the
 *   GPU work may finish later, inside the next read-back);
 * - diagnostics: logging steps' read-back of the kept per-step values, the
 *   per-layer snapshot and the events;
 * - validation: the validation pass and its metrics in degrees;
 * - checkpoint: writing epoch checkpoints;
 * - other: the rest of the run's wall time (engine start, model build,
 *   resume, findings, epoch-end read-backs).
 */
export type PhasesMs = {
  batch: number;
  step: number;
  diagnostics: number;
  validation: number;
  checkpoint: number;
  other: number;
};

export interface TrainOutcome {
  result: RunResult;
  /** The model with the last epoch's weights, the ones the result reports (caller disposes). */
  model: Regressor;
  target: TargetTransform;
  valPredDeg: Float32Array;
  valTrueDeg: Float32Array;
  history: { epochs: EpochEvent[]; diagnostics: DiagnosticsSnapshot[] };
  phasesMs: PhasesMs;
}
