/**
 * Label and alignment types. Internally every angle is a steering-wheel angle
 * in degrees, positive = steering to the right (clockwise), whatever the
 * source file used; a file's own convention is converted on parse.
 */
import { z } from 'zod';

/** Steering units a label file can use; every list below is the one spelling of its choices (flags, schemas, forms). */
export const ANGLE_UNITS = ['degrees', 'radians', 'normalized'] as const;
export type AngleUnits = (typeof ANGLE_UNITS)[number];
/** Label file formats the parsers read. */
export const LABEL_FORMATS = ['csv', 'sully', 'udacity-sim', 'udacity-challenge', 'donkey'] as const;
export type LabelFormat = (typeof LABEL_FORMATS)[number];
/** positive-right = clockwise, the lab's own convention. */
export const SIGN_CONVENTIONS = ['positive-right', 'positive-left'] as const;
export type SignConvention = (typeof SIGN_CONVENTIONS)[number];
/** Choices for a label file's time-column unit ('auto' = from the column name or the values; see time-units.ts). */
export const TIME_UNIT_OPTIONS = ['auto', 's', 'ms', 'ns'] as const;

export interface LabelRow {
  /** Seconds from the start of the video (after any offset), when the source is timed. */
  timeS?: number;
  /** 0-based frame index, when the source counts frames. */
  frameIndex?: number;
  /** Image path relative to the data set root, for image-folder data sets. */
  image?: string;
  /** Camera for multi-camera logs (Udacity simulator); side cameras carry the angle correction already. */
  camera?: 'center' | 'left' | 'right';
  /** Steering-wheel angle in degrees, positive = right. */
  steeringDeg: number;
  /** Other numeric columns kept for later use as targets (speed, throttle, ...). */
  extras: Record<string, number>;
  /** 1-based line number in the source file, for error messages. */
  line: number;
}

export interface LabelSet {
  path: string;
  format: LabelFormat;
  /** Units of the source values before conversion to degrees. */
  units: AngleUnits;
  unitsInferred: boolean;
  sign: SignConvention;
  /** How rows are matched to frames. */
  key: 'time' | 'frame' | 'image';
  rows: LabelRow[];
  warnings: string[];
}

/** The label override a person picks (Data set view, CLI flags): every field optional, 'auto' = detect. */
export const LabelOptions = z.object({
  format: z.enum([...LABEL_FORMATS, 'auto']).optional(),
  units: z.enum([...ANGLE_UNITS, 'auto']).optional(),
  /** Degrees that a normalised value of 1 means (e.g. 420 for a car's wheel, 25 for the Udacity simulator). */
  labelFullScaleDeg: z.number().positive().optional(),
  /** Sign convention of the source file. */
  sign: z.enum(SIGN_CONVENTIONS).optional(),
  timeColumn: z.string().optional(),
  frameColumn: z.string().optional(),
  steeringColumn: z.string().optional(),
  timeUnit: z.enum(TIME_UNIT_OPTIONS).optional(),
  /** Degrees added (left camera) or subtracted (right camera) for side cameras; <= 0 disables side cameras. */
  sideCameraCorrectionDeg: z.number().optional(),
});
export type LabelOptions = z.infer<typeof LabelOptions>;

/** How label rows were matched to frames (by time, frame index or image name) and what was left over. */
export const AlignmentReport = z.object({
  method: z.enum(['time', 'frame', 'image']),
  matched: z.number().int(),
  unmatchedFrames: z.number().int(),
  unmatchedLabels: z.number().int(),
  /** Label-time gaps longer than maxGapMs, in seconds from the video start. */
  gaps: z.array(z.object({ startS: z.number(), endS: z.number() })),
  offsetMs: z.number(),
  maxGapMs: z.number(),
});
export type AlignmentReport = z.infer<typeof AlignmentReport>;
