/**
 * What a training run reports while it runs. Only plain numbers leave the
 * trainer; contract/ re-exports these schemas for IPC and WebSocket.
 */
import { z } from 'zod';
import { DiagnosticsSnapshot, Finding } from '../diagnostics/types.ts';
import { EvaluationDeg } from '../targets/metrics-types.ts';

export const StepEvent = z.object({
  type: z.literal('step'),
  step: z.number().int(),
  epoch: z.number().int(),
  stepsPerEpoch: z.number().int(),
  /** Total (weighted) training loss in target units. */
  loss: z.number(),
  learningRate: z.number(),
  samplesPerS: z.number(),
  etaS: z.number().nullable(),
});

export const DiagnosticsEvent = z.object({ type: z.literal('diagnostics'), snapshot: DiagnosticsSnapshot });

export const EpochEvent = z.object({
  type: z.literal('epoch'),
  epoch: z.number().int(),
  trainLoss: z.number(),
  valLoss: z.number(),
  /** Validation metrics in degrees, with the zero and mean baselines. */
  val: EvaluationDeg,
  elapsedS: z.number(),
});

export const FindingEvent = z.object({ type: z.literal('finding'), finding: Finding });
export const CheckpointEvent = z.object({ type: z.literal('checkpoint'), epoch: z.number().int(), path: z.string() });

/** A run continued from a checkpoint; `warning` says when the latest one was damaged and the previous one was used. */
export const ResumedEvent = z.object({ type: z.literal('resumed'), epoch: z.number().int(), step: z.number().int(), warning: z.string().nullable() });

export const TrainEvent = z.discriminatedUnion('type', [StepEvent, DiagnosticsEvent, EpochEvent, FindingEvent, CheckpointEvent, ResumedEvent]);
export type TrainEvent = z.infer<typeof TrainEvent>;
export type StepEvent = z.infer<typeof StepEvent>;
export type EpochEvent = z.infer<typeof EpochEvent>;

export const RunStatus = z.enum(['running', 'completed', 'stopped-early', 'diverged', 'cancelled', 'failed']);
export type RunStatus = z.infer<typeof RunStatus>;

/** The outcome of one run, as stored in runs/<id>/result.json. */
export const RunResult = z.object({
  status: RunStatus,
  engine: z.string(),
  /**
   * The wasm engine's kernel build (fma: fused multiply-adds; plain): their numbers differ in the last bits,
   * which training can grow, so a run is repeated exactly only on the same build (STEERLAB_WASM_KERNELS).
   * Absent for other engines and for runs recorded before builds were recorded (those used plain).
   */
  kernels: z.enum(['fma', 'plain']).optional(),
  epochs: z.number().int(),
  steps: z.number().int(),
  wallTimeS: z.number(),
  paramCount: z.number().int(),
  /** The epoch (0-based) whose weights and validation metrics the result reports: the last one trained. */
  bestEpoch: z.number().int().nullable(),
  /**
   * How the reported epoch was chosen: 'last-epoch' (never by validation
   * loss, which would select on the numbers it then reports).
   */
  selection: z.enum(['last-epoch']).default('last-epoch'),
  /** Validation metrics of the reported epoch's weights, in degrees. */
  val: EvaluationDeg.nullable(),
  findings: z.array(Finding),
  error: z.string().nullable(),
});
export type RunResult = z.infer<typeof RunResult>;
