/**
 * Label and alignment types. Internally every angle is a steering-wheel angle
 * in degrees, positive = steering to the right (clockwise), whatever the
 * source file used; a file's own convention is converted on parse.
 */
export type AngleUnits = 'degrees' | 'radians' | 'normalized';
export type LabelFormat = 'csv' | 'sully' | 'udacity-sim' | 'udacity-challenge' | 'donkey';
export type SignConvention = 'positive-right' | 'positive-left';

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

export interface LabelOptions {
  format?: LabelFormat | 'auto';
  units?: AngleUnits | 'auto';
  /** Degrees that a normalised value of 1 means (e.g. 420 for a car's wheel, 25 for the Udacity simulator). */
  fullScaleDeg?: number;
  /** Sign convention of the source file. */
  sign?: SignConvention;
  timeColumn?: string;
  frameColumn?: string;
  steeringColumn?: string;
  timeUnit?: 's' | 'ms' | 'ns' | 'auto';
  /** Degrees added (left camera) or subtracted (right camera) for side cameras; <= 0 disables side cameras. */
  sideCameraCorrectionDeg?: number;
}

export interface AlignmentReport {
  method: 'time' | 'frame' | 'image';
  matched: number;
  unmatchedFrames: number;
  unmatchedLabels: number;
  /** Label-time gaps longer than maxGapMs, in seconds from the video start. */
  gaps: { startS: number; endS: number }[];
  offsetMs: number;
  maxGapMs: number;
}
