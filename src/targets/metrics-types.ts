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

/** A model's validation metrics beside the zero and mean (of the training split) predictors. */
export const EvaluationDeg = z.object({
  model: MetricsDeg,
  zero: MetricsDeg,
  mean: MetricsDeg,
});
export type EvaluationDeg = z.infer<typeof EvaluationDeg>;
