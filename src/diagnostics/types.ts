/**
 * Diagnostics are plain numbers computed every `logEvery` steps; findings are
 * sentences computed from them, each carrying the numbers that triggered it.
 */
import { z } from 'zod';

export const LayerDiag = z.object({
  /** Layer name as in Regressor.layers (e.g. 'conv1', 'dense2', 'head'). */
  name: z.string(),
  /** L2 norm of the loss gradient w.r.t. this layer's parameters. */
  gradNorm: z.number(),
  weightNorm: z.number(),
  /** ||lr-scaled update|| / ||weights|| for this step (healthy ~1e-3). */
  updateRatio: z.number().nullable(),
  actMean: z.number().nullable(),
  actStd: z.number().nullable(),
  /** Fraction of ReLU units that are zero for the whole batch. */
  deadFraction: z.number().nullable(),
  /** Fraction of tanh/sigmoid units with |pre-activation| > SATURATION_THRESHOLD. */
  saturatedFraction: z.number().nullable(),
  nonFinite: z.number().int(),
});
export type LayerDiag = z.infer<typeof LayerDiag>;

export const HeadDiag = z.object({
  name: z.string(),
  /** Pre-activation (before tanh, if any) summary and histogram. */
  preMean: z.number(),
  preStd: z.number(),
  preMin: z.number(),
  preMax: z.number(),
  histogram: z.object({ edges: z.array(z.number()), counts: z.array(z.number().int()) }),
  saturatedFraction: z.number(),
  /** Output and target ranges in target units, and in degrees after the inverse transform. */
  predMin: z.number(),
  predMax: z.number(),
  targetMin: z.number(),
  targetMax: z.number(),
  /** The same four ranges in steering-wheel degrees (CORE extension; absent in older logs). */
  predMinDeg: z.number().optional(),
  predMaxDeg: z.number().optional(),
  targetMinDeg: z.number().optional(),
  targetMaxDeg: z.number().optional(),
  lossRaw: z.number(),
  lossWeight: z.number(),
  lossWeighted: z.number(),
});
export type HeadDiag = z.infer<typeof HeadDiag>;

export const DiagnosticsSnapshot = z.object({
  step: z.number().int(),
  epoch: z.number().int(),
  layers: z.array(LayerDiag),
  heads: z.array(HeadDiag),
});
export type DiagnosticsSnapshot = z.infer<typeof DiagnosticsSnapshot>;

export const FindingKind = z.enum([
  'vanishing-gradients', 'exploding-gradients', 'dead-units', 'saturated-units', 'saturated-head',
  'targets-outside-head-range', 'loss-not-decreasing', 'non-finite', 'worse-than-baseline',
  /** Better than the best constant predictor, but by less than BASELINE_MARGIN of its RMSE. */
  'barely-better-than-baseline', 'healthy',
]);

export const Finding = z.object({
  kind: FindingKind,
  severity: z.enum(['info', 'warning', 'error']),
  /** The sentence a person reads; it states the numbers in `evidence` with units. */
  message: z.string(),
  step: z.number().int().nullable(),
  layer: z.string().nullable(),
  evidence: z.record(z.string(), z.number()),
});
export type Finding = z.infer<typeof Finding>;
