/**
 * Data shapes that cross the app boundary (IPC or WebSocket). They mirror
 * the shared TypeScript interfaces of data/ and video/ as zod schemas, and
 * reuse the zod schemas of train/, diagnostics/ and targets/ as they are.
 */
import { z } from 'zod';
import { RunConfig } from '../train/config.ts';
import { RunResult, RunStatus, EpochEvent as TrainEpochEvent } from '../train/events.ts';
import { DiagnosticsSnapshot, Finding } from '../diagnostics/types.ts';
import { DatasetSummary as ExperimentDataset, VideoSpan } from '../experiments/types.ts';
import { CellDifference, CellSummary } from '../experiments/cells.ts';
import { CropSuggestion } from '../video/crop-suggest.ts';

export const AngleUnits = z.enum(['degrees', 'radians', 'normalized']);
export const LabelFormat = z.enum(['csv', 'sully', 'udacity-sim', 'udacity-challenge', 'donkey']);
export const SignConvention = z.enum(['positive-right', 'positive-left']);

/** Mirrors LabelOptions in data/types.ts (the override a person picks in the Data set view). */
export const LabelOptions = z.object({
  format: z.union([LabelFormat, z.literal('auto')]).optional(),
  units: z.union([AngleUnits, z.literal('auto')]).optional(),
  fullScaleDeg: z.number().positive().optional(),
  sign: SignConvention.optional(),
  timeColumn: z.string().optional(),
  frameColumn: z.string().optional(),
  steeringColumn: z.string().optional(),
  timeUnit: z.enum(['s', 'ms', 'ns', 'auto']).optional(),
  sideCameraCorrectionDeg: z.number().optional(),
});

/** Crop in source pixels, applied before the resize (mirrors video/types.ts Crop). */
export const Crop = z.object({
  top: z.number().int().nonnegative(),
  bottom: z.number().int().nonnegative(),
  left: z.number().int().nonnegative(),
  right: z.number().int().nonnegative(),
});

/** Model input size in pixels. */
export const InputSize = z.object({ width: z.number().int().min(8).max(1024), height: z.number().int().min(8).max(1024) });

/** Mirrors DatasetSpec in video/types.ts. */
export const DatasetSpec = z.object({
  source: z.string().min(1),
  labels: z.string().min(1).optional(),
  labelOptions: LabelOptions.optional(),
  offsetMs: z.number().optional(),
  maxGapMs: z.number().positive().optional(),
  crop: Crop.optional(),
  input: InputSize,
  maxFrames: z.number().int().positive().optional(),
});
export type DatasetSpec = z.infer<typeof DatasetSpec>;

/** A further video of a data set and its own label source; it shares the first video's options (labels, crop, input). */
export const ExtraVideo = z.object({ source: z.string().min(1), labels: z.string().min(1).optional() }).strict();

export const VideoInfo = z.object({
  path: z.string(),
  frames: z.number().int(),
  fps: z.number(),
  width: z.number().int(),
  height: z.number().int(),
  durationS: z.number(),
  codec: z.string(),
  rotationDeg: z.number(),
  variableFrameRate: z.boolean(),
});

export const AlignmentReport = z.object({
  method: z.enum(['time', 'frame', 'image']),
  matched: z.number().int(),
  unmatchedFrames: z.number().int(),
  unmatchedLabels: z.number().int(),
  gaps: z.array(z.object({ startS: z.number(), endS: z.number() })),
  offsetMs: z.number(),
  maxGapMs: z.number(),
});

/** Angle statistics in degrees (data/stats.ts angleStats). */
export const AngleStats = z.object({
  n: z.number().int(),
  minDeg: z.number(),
  maxDeg: z.number(),
  meanDeg: z.number(),
  stdDeg: z.number(),
  histogram: z.object({ edgesDeg: z.array(z.number()), counts: z.array(z.number().int()) }),
});
export type AngleStats = z.infer<typeof AngleStats>;

/** What the Data set view shows after opening a video and its labels. */
export const DatasetSummary = z.object({
  datasetId: z.string(),
  spec: DatasetSpec,
  video: VideoInfo,
  labels: z.object({
    path: z.string(),
    format: LabelFormat,
    units: AngleUnits,
    unitsInferred: z.boolean(),
    sign: SignConvention,
    key: z.enum(['time', 'frame', 'image']),
    rows: z.number().int(),
  }),
  stats: AngleStats,
  alignment: AlignmentReport,
  warnings: z.array(z.string()),
  /** One entry per usable sample: frame index, time in seconds, true angle in degrees. */
  sampleFrame: z.array(z.number().int()),
  sampleTimeS: z.array(z.number()),
  anglesDeg: z.array(z.number()),
  cacheHit: z.boolean(),
  /** Seconds spent opening (decode + align), for the status line. */
  openS: z.number(),
  /**
   * A data set of several videos: each one's file, labels and where its
   * samples sit (samples firstSample .. firstSample + samples - 1). Absent
   * for one video; then `video` and `labels` above describe it.
   */
  videos: z.array(VideoSpan.extend({
    matched: z.number().int(),
    droppedFrames: z.number().int(),
  })).optional(),
});
export type DatasetSummary = z.infer<typeof DatasetSummary>;

/** One frame as an image the renderer can draw, with its true angle. */
export const FrameImage = z.object({
  sample: z.number().int(),
  frameIndex: z.number().int(),
  timeS: z.number(),
  angleDeg: z.number(),
  width: z.number().int(),
  height: z.number().int(),
  /** data:image/png;base64,... */
  dataUrl: z.string().startsWith('data:image/png;base64,'),
});
export type FrameImage = z.infer<typeof FrameImage>;

/** The first source frame at preview size with the crop rectangle in source pixels. */
export const CropPreview = z.object({
  sourceWidth: z.number().int(),
  sourceHeight: z.number().int(),
  width: z.number().int(),
  height: z.number().int(),
  crop: Crop,
  dataUrl: z.string().startsWith('data:image/png;base64,'),
  /** The suggested road crop from frames sampled over the drive (video/crop-suggest.ts), with its reason. */
  suggestion: CropSuggestion,
});
export type CropPreview = z.infer<typeof CropPreview>;

/** Values a grid axis may take (dotted config path -> list of values). */
export const AxisValue = z.union([z.string(), z.number(), z.boolean()]);
export const Axes = z.record(z.string(), z.array(AxisValue).min(1));
export type Axes = z.infer<typeof Axes>;

export const Preset = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  axes: Axes,
});
export type Preset = z.infer<typeof Preset>;

/** A stored run as listed in the Compare view. */
export const RunListEntry = z.object({
  runId: z.string(),
  experimentId: z.string().nullable(),
  name: z.string(),
  status: RunStatus,
  head: z.string(),
  targets: z.string(),
  activation: z.string(),
  createdAt: z.string().nullable(),
  valMaeDeg: z.number().nullable(),
  valRmseDeg: z.number().nullable(),
  engine: z.string().nullable(),
});
export type RunListEntry = z.infer<typeof RunListEntry>;

export const LossPoint = z.object({ step: z.number().int(), epoch: z.number().int(), loss: z.number() });

/** Everything the Run detail and Compare views draw for one run, read from the workspace store. */
export const RunDetail = z.object({
  runId: z.string(),
  experimentId: z.string().nullable(),
  dir: z.string(),
  config: RunConfig,
  result: RunResult.nullable(),
  steps: z.array(LossPoint),
  epochs: z.array(TrainEpochEvent),
  diagnostics: z.array(DiagnosticsSnapshot),
  /** Findings raised while training (the final ones are in result.findings). */
  findings: z.array(Finding),
  /** Validation predictions and truths in degrees (same order, time order), when stored. */
  valPredDeg: z.array(z.number()).nullable(),
  valTrueDeg: z.array(z.number()).nullable(),
  valTimeS: z.array(z.number()).nullable(),
  modelDir: z.string().nullable(),
});
export type RunDetail = z.infer<typeof RunDetail>;

/** Per-angle-bin error of one run beside the zero predictor (degrees). */
export const BinRow = z.object({
  name: z.string(),
  loDeg: z.number(),
  hiDeg: z.number().nullable(),
  n: z.number().int(),
  maeDeg: z.number().nullable(),
  zeroMaeDeg: z.number().nullable(),
});

/** One row of the comparison table (mirrors experiments/compare.ts; all errors in degrees). */
export const ComparisonRow = z.object({
  runId: z.string(),
  name: z.string(),
  seed: z.number().nullable(),
  selection: z.string().nullable(),
  status: z.string(),
  head: z.string().nullable(),
  targets: z.string().nullable(),
  valMaeDeg: z.number().nullable(),
  valRmseDeg: z.number().nullable(),
  valMaxErrDeg: z.number().nullable(),
  bins: z.array(BinRow),
  baselineZeroMaeDeg: z.number().nullable(),
  baselineZeroRmseDeg: z.number().nullable(),
  baselineMeanMaeDeg: z.number().nullable(),
  baselineMeanRmseDeg: z.number().nullable(),
  predRangeDeg: z.tuple([z.number(), z.number()]).nullable(),
  trueRangeDeg: z.tuple([z.number(), z.number()]).nullable(),
  epochs: z.number().int().nullable(),
  bestEpoch: z.number().int().nullable(),
  steps: z.number().int().nullable(),
  wallTimeS: z.number().nullable(),
  paramCount: z.number().int().nullable(),
  engine: z.string().nullable(),
  findings: z.array(z.string()),
  error: z.string().nullable(),
});
export type ComparisonRow = z.infer<typeof ComparisonRow>;

export const Comparison = z.object({
  experimentId: z.string().nullable(),
  title: z.string(),
  dataset: ExperimentDataset.nullable(),
  rows: z.array(ComparisonRow),
  cells: z.array(CellSummary),
  differences: z.array(CellDifference),
  /** Sentences computed from the rows by experiments/compare.ts, each quoting its numbers. */
  conclusions: z.array(z.string()),
  markdown: z.string(),
  csv: z.string(),
});
export type Comparison = z.infer<typeof Comparison>;

export const ExperimentListEntry = z.object({
  experimentId: z.string(),
  runIds: z.array(z.string()),
  createdAt: z.string().nullable(),
  status: z.enum(['running', 'finished', 'cancelled', 'failed']),
});
export type ExperimentListEntry = z.infer<typeof ExperimentListEntry>;

export const AppInfo = z.object({
  version: z.string(),
  node: z.string(),
  platform: z.string(),
  workspace: z.string(),
  transport: z.enum(['websocket', 'ipc']),
  engine: z.object({
    name: z.string(),
    detail: z.string(),
    available: z.array(z.object({ name: z.string(), available: z.boolean(), reason: z.string() })),
  }),
  ffmpeg: z.object({ path: z.string(), version: z.string(), source: z.string() }).nullable(),
  ffmpegError: z.string().nullable(),
  versions: z.record(z.string(), z.string()),
});
export type AppInfo = z.infer<typeof AppInfo>;
