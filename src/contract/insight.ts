/**
 * Shapes of the lab's insight tools as the app receives them: a saliency
 * picture of one frame of a trained run (src/saliency) and the label-lag
 * doctor's report (video/lag-doctor.ts, data/lag.ts). Those modules hold
 * plain TypeScript types (no zod), so the wire shapes are defined here and
 * checked against them at compile time (the assertions at the end): a field
 * added there without being added here fails the typecheck.
 */
import { z } from 'zod';
import type { SaliencyMethod as LabSaliencyMethod } from '../saliency/maps.ts';
import type { LagReport } from '../video/lag-doctor.ts';

/** Offsets this small (ms) count as in step (data/lag.ts: a car's yaw trails its wheel by about 0.1 s). */
export { IN_STEP_MS } from '../data/lag.ts';

/** VisualBackProp (Bojarski et al. 2016, built for PilotNet) or Grad-CAM of the steering output. */
export const SaliencyMethod = z.enum(['visualbackprop', 'gradcam']);
export type SaliencyMethod = z.infer<typeof SaliencyMethod>;

/** One whole frame of a run's drive at viewing size: saliency heat over the crop, the crop outlined, the angles in the corner. */
export const SaliencyImage = z.object({
  runId: z.string(),
  /** Sample index in the run's data set (val-predictions.json's sampleIndex). */
  sample: z.number().int(),
  method: SaliencyMethod,
  /** Steering angles in degrees, positive = right: the label and the run's exported model's prediction. */
  trueDeg: z.number(),
  predDeg: z.number(),
  /** Picture size in pixels: the source frame scaled to a viewing size (saliency/frames.ts: at most 640x480, small videos up to 4x). */
  width: z.number().int(),
  height: z.number().int(),
  /** data:image/png;base64,... */
  dataUrl: z.string().startsWith('data:image/png;base64,'),
});
export type SaliencyImage = z.infer<typeof SaliencyImage>;

/**
 * `steerlab lag --json`: the offset in ms to add to label times (null without
 * evidence), how sure it is, the correlation per offset, and what it was
 * measured on. Scores that are not numbers (no samples at an offset) are null.
 */
export const LagCheck = z.object({
  offsetMs: z.number().nullable(),
  /** 0-1: the peak correlation discounted by the jackknife spread. */
  confidence: z.number(),
  /** |offsetMs| <= 150 ms: in step as far as yaw can tell. */
  inStep: z.boolean().nullable(),
  evidence: z.enum(['good', 'weak', 'none']),
  /** Why the evidence is weak or missing (one sentence); null when good. */
  reason: z.string().nullable(),
  peakScore: z.number().nullable(),
  /** Jackknife standard error of the offset, ms. */
  uncertaintyMs: z.number().nullable(),
  samples: z.number().int(),
  source: z.string(),
  labels: z.string(),
  matchedBy: z.enum(['time', 'frame', 'image']),
  pairs: z.number().int(),
  movingPairs: z.number().int(),
  warnings: z.array(z.string()),
  /** The --offset-ms to train with (0 when in step; null without evidence), and as the flag. */
  suggestedOffsetMs: z.number().nullable(),
  suggestedFlag: z.string().nullable(),
  curve: z.array(z.object({ offsetMs: z.number(), score: z.number().nullable() })),
});
export type LagCheck = z.infer<typeof LagCheck>;

// Compile-time agreement with the lab's own types (no runtime cost).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameMethods: Same<SaliencyMethod, LabSaliencyMethod> = true;
type LagFields = Exclude<keyof LagReport, 'curve'>;
const lagFieldsKnown: Same<LagFields, Exclude<keyof LagCheck, 'curve' | 'suggestedOffsetMs' | 'suggestedFlag'>> = true;
const matchedByKnown: Same<LagReport['matchedBy'], LagCheck['matchedBy']> = true;
void sameMethods;
void lagFieldsKnown;
void matchedByKnown;
