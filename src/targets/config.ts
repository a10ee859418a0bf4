import { z } from 'zod';

/**
 * How steering degrees become training targets. Every transform is
 * invertible; predictions are inverted to degrees before any metric.
 * - raw: degrees as they are (about -420..420 for a car's wheel)
 * - normalized: degrees / fullScale (fullScale = given, or max |angle| of the training split), in [-1, 1]
 * - standardized: (degrees - mean) / std of the training split
 */
export const TargetKind = z.enum(['raw', 'normalized', 'standardized']);
export type TargetKind = z.infer<typeof TargetKind>;

export const TargetConfig = z.strictObject({
  kind: TargetKind.default('normalized'),
  /**
   * Degrees mapped to a target of 1.0 by 'normalized'; absent = max |angle| of the training split.
   * Not the label scale (LabelOptions.labelFullScaleDeg: what a normalised value in a label file means).
   */
  fullScaleDeg: z.number().positive().optional(),
});
export type TargetConfig = z.infer<typeof TargetConfig>;
