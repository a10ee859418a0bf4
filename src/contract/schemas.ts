/**
 * Data shapes that cross the app boundary (IPC or WebSocket). Each domain
 * schema is defined once, with zod, at its domain's home (data/, video/,
 * train/, diagnostics/, targets/, experiments/) and re-exported here as it
 * is; this file defines only the shapes that exist for the app alone
 * (frames as images, the run list, a run's detail, app info).
 */
import { z } from 'zod';
import { RunConfig } from '../train/config.ts';
import { EpochEvent, RunResult, RunStatus, StepEvent } from '../train/events.ts';
import { DiagnosticsSnapshot, Finding } from '../diagnostics/types.ts';
import { Comparison as ExperimentComparison, ExperimentStatus } from '../experiments/types.ts';
import { Crop, DatasetSpec } from '../video/types.ts';
import { CropSuggestion } from '../video/crop-suggest.ts';

// The domain's schemas and types, as the wire carries them (one definition each, at their homes).
export { AlignmentReport, LabelOptions } from '../data/types.ts';
export type { AngleUnits, LabelFormat, SignConvention } from '../data/types.ts';
export { AngleStats } from '../data/stats.ts';
export { Crop, DatasetSpec, InputSize, VideoInfo } from '../video/types.ts';
export { DatasetOverview, VideoSpan } from '../video/overview.ts';
export { CropSuggestion } from '../video/crop-suggest.ts';
export { RunConfig, type RunConfigInput } from '../train/config.ts';
export { EpochEvent, RunResult, RunStatus, StepEvent } from '../train/events.ts';
export { DiagnosticsSnapshot, Finding, FindingKind, HeadDiag, LayerDiag } from '../diagnostics/types.ts';
export { AngleBinMetrics, EvaluationDeg, MetricsDeg } from '../targets/metrics-types.ts';
export { BinRow, ComparisonRow, DatasetSummary, ExperimentStatus } from '../experiments/types.ts';
export { CellDifference, CellSummary, MeanSd } from '../experiments/cells.ts';

/** A further video of a data set and its own label source; it shares the first video's options (labels, crop, input). */
export const ExtraVideo = DatasetSpec.pick({ source: true, labels: true }).strict();

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

/** One sample's uncropped source frame (scaled to at most 640 px wide) with the data set's crop in source pixels. */
export const SourceFrame = CropPreview.omit({ suggestion: true }).extend({
  sample: z.number().int(),
  frameIndex: z.number().int(),
  timeS: z.number(),
  angleDeg: z.number(),
});
export type SourceFrame = z.infer<typeof SourceFrame>;

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

/** One logged training step: its loss in target units. */
export const LossPoint = StepEvent.pick({ step: true, epoch: true, loss: true });

/**
 * A run's drive: its videos as the experiment recorded them (paths as given,
 * at the run's model input size) and, as a data set summary names them, the
 * sources joined with ' + '.
 */
export const RunDrive = z.object({
  source: z.string(),
  input: z.object({ width: z.number().int(), height: z.number().int() }),
  specs: z.array(DatasetSpec).min(1),
});
export type RunDrive = z.infer<typeof RunDrive>;

/** Everything the Run detail and Compare views draw for one run, read from the workspace store. */
export const RunDetail = z.object({
  runId: z.string(),
  experimentId: z.string().nullable(),
  dir: z.string(),
  config: RunConfig,
  result: RunResult.nullable(),
  steps: z.array(LossPoint),
  epochs: z.array(EpochEvent),
  diagnostics: z.array(DiagnosticsSnapshot),
  /** Findings raised while training (the final ones are in result.findings). */
  findings: z.array(Finding),
  /** Validation predictions and truths in degrees (same order, time order), when stored. */
  valPredDeg: z.array(z.number()).nullable(),
  valTrueDeg: z.array(z.number()).nullable(),
  valTimeS: z.array(z.number()).nullable(),
  /** Sample index in the run's data set of each validation prediction (same order): a frame is found by index, not by time. */
  valSampleIndex: z.array(z.number().int()).nullable(),
  modelDir: z.string().nullable(),
  /** The drive the run trained on, from its experiment record (null when the record is missing). */
  drive: RunDrive.nullable(),
});
export type RunDetail = z.infer<typeof RunDetail>;

/** An experiment's comparison (experiments/compare.ts) with its id and its Markdown and CSV renderings. */
export const Comparison = z.object({
  experimentId: z.string().nullable(),
  ...ExperimentComparison.shape,
  markdown: z.string(),
  csv: z.string(),
});
export type Comparison = z.infer<typeof Comparison>;

/** A stored experiment in the Compare view's list; its status is the record's. */
export const ExperimentListEntry = z.object({
  experimentId: z.string(),
  runIds: z.array(z.string()),
  createdAt: z.string().nullable(),
  status: ExperimentStatus,
  /** Grid cells without a result (pending, skipped, cancelled, crashed): what `experiment.resume` would train. */
  unfinished: z.number().int().nonnegative().default(0),
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
