import { z } from 'zod';

/** Error of predictions against true angles, all in steering-wheel degrees. */
export const AngleBinMetrics = z.object({
  /** 'straight' (|a| < 5 deg), 'gentle', 'sharp'; bounds in degrees of |true angle|. */
  name: z.string(),
  loDeg: z.number(),
  hiDeg: z.number().nullable(),
  n: z.number().int(),
  maeDeg: z.number().nullable(),
  rmseDeg: z.number().nullable(),
});

export const MetricsDeg = z.object({
  n: z.number().int(),
  maeDeg: z.number(),
  rmseDeg: z.number(),
  maxErrDeg: z.number(),
  bins: z.array(AngleBinMetrics),
});
export type MetricsDeg = z.infer<typeof MetricsDeg>;
export type AngleBinMetrics = z.infer<typeof AngleBinMetrics>;


/**
 * Settings of the closed-loop autonomy estimate (targets/autonomy.ts), each
 * with its documented default; a run config's optional `autonomy` and the
 * settings recorded with a run's estimate are both this schema.
 */
export const AutonomySettings = z.strictObject({
  /** Steering-wheel degrees per road-wheel degree; default 15 (a typical passenger car; the synthetic drive's). */
  steeringRatio: z.number().positive().default(15),
  /** Distance between the axles, m; default 2.7 (the synthetic drive's). */
  wheelbaseM: z.number().positive().default(2.7),
  /** |lateral offset| at which the safety driver takes over, m; default 1. */
  thresholdM: z.number().positive().default(1),
  /** Speed when the labels carry none, m/s; default 15 (54 km/h). */
  defaultSpeedMps: z.number().positive().default(15),
  /** Seconds PilotNet charges per intervention (taking over and handing back); default 6. */
  interventionCostS: z.number().nonnegative().default(6),
  /** A time step longer than this (s) is a cut in the recording (e.g. between validation blocks): the car is reset there. */
  maxStepS: z.number().positive().default(0.5),
});
export type AutonomySettings = z.infer<typeof AutonomySettings>;
export type AutonomySettingsInput = z.input<typeof AutonomySettings>;

/** One predictor's autonomy on the validation frames. */
export const AutonomyScore = z.object({
  /** 100 * (1 - interventions * cost / elapsed), clamped at 0, %. */
  autonomyPct: z.number(),
  interventions: z.number().int(),
  /** Interventions per km driven (null when nothing was driven). */
  interventionsPerKm: z.number().nullable(),
  /** Driven time (s) and distance (km) over the validation segments. */
  elapsedS: z.number(),
  distanceKm: z.number(),
  /** Largest |lateral offset| seen before a reset, m. */
  maxOffsetM: z.number(),
});
export type AutonomyScore = z.infer<typeof AutonomyScore>;

/** The model's autonomy beside the zero and mean predictors' on the same frames, with the settings and the speed used. */
export const AutonomyEvaluation = z.object({
  model: AutonomyScore,
  zero: AutonomyScore,
  mean: AutonomyScore,
  settings: AutonomySettings,
  /** Where the speed came from, for people: 'labels column "speed" (mph, converted to m/s)' or 'constant 15 m/s (...)'. */
  speed: z.string(),
  /** True when the speed came from the label file (false: the constant defaultSpeedMps). */
  speedFromLabels: z.boolean(),
  /** Which times the car was driven on: 'frame times', or the recording's where an image folder's are nominal. */
  clock: z.string().optional(),
});
export type AutonomyEvaluation = z.infer<typeof AutonomyEvaluation>;

/** A model's validation metrics beside the zero and mean (of the training split) predictors. */
export const EvaluationDeg = z.object({
  model: MetricsDeg,
  zero: MetricsDeg,
  mean: MetricsDeg,
  /** Closed-loop autonomy estimate on the same frames (runs recorded before it existed have none). */
  autonomy: AutonomyEvaluation.optional(),
});
export type EvaluationDeg = z.infer<typeof EvaluationDeg>;
