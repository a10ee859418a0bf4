/**
 * The "data" section of a run config file (CLI flags override it), strict so
 * a misspelt field is an error naming the field, not a silent default.
 */
import { z } from 'zod';
import { Crop, LabelOptions } from '../../contract/schemas.ts';

const paths = z.union([z.string(), z.array(z.string())]);

export const DataSectionSchema = z.strictObject({
  /** One video, or several (then `labels` lists one label file per video, in the same order). */
  video: paths.optional(),
  labels: paths.optional(),
  maxFrames: z.number().int().min(2).optional(),
  offsetMs: z.number().optional(),
  maxGapMs: z.number().positive().optional(),
  /** Match frame-index / image labels by decode order even when lost frames cannot be identified (see --allow-frame-gaps). */
  allowFrameGaps: z.boolean().optional(),
  crop: Crop.strict().optional(),
  labelOptions: LabelOptions.strict().optional(),
});
