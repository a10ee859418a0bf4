/**
 * Records the experiment store writes and reads (run and experiment records,
 * the comparison table), defined once as zod schemas: the store's types are
 * inferred from them and contract/ sends them as they are.
 */
import { z } from 'zod';
import { RunResult, RunStatus } from '../train/events.ts';
import { VideoSpan } from '../video/overview.ts';
import { CellDifference, CellSummary } from './cells.ts';

// Re-exported for the experiment code that reads per-video spans from its records.
export { VideoSpan };

/** What the data set looked like for a run or experiment (counts are samples, angles in degrees). */
export const DatasetSummary = z.object({
  source: z.string(),
  labels: z.string().nullable(),
  input: z.object({ width: z.number().int(), height: z.number().int() }),
  frames: z.number().int(),
  samples: z.number().int(),
  trainSamples: z.number().int(),
  valSamples: z.number().int(),
  /** Validation blocks as [start, end) sample indices: spread across the drive. */
  valBlocks: z.array(z.object({ start: z.number().int(), end: z.number().int() })),
  fps: z.number(),
  warnings: z.array(z.string()),
  /**
   * Only for a data set of several videos (then source and labels join their
   * paths with ' + '): each video in order, where its samples sit in the
   * concatenated data set, and how many of them the split put in each part.
   */
  videos: z
    .array(
      VideoSpan.extend({
        trainSamples: z.number().int(),
        valSamples: z.number().int(),
        fps: z.number(),
        /** Seconds added to the video's own frame times on the data set's clock (times continue across videos). */
        timeOffsetS: z.number(),
        cacheHit: z.boolean(),
      }),
    )
    .optional(),
});
export type DatasetSummary = z.infer<typeof DatasetSummary>;

/** runs/<id>/run.json: written when a run starts, so a crash leaves a record that names the process. */
export const RunMeta = z.object({
  id: z.string(),
  name: z.string(),
  experimentId: z.string().nullable(),
  /** The grid values of this run, keyed by dotted config path. */
  cell: z.record(z.string(), z.unknown()),
  pid: z.number().int(),
  hostname: z.string(),
  startedAt: z.string(),
  dataset: DatasetSummary.nullable(),
  /** Gradient worker threads the run trains with (1 = in-process); a resume uses the same count, so it repeats the uninterrupted run. */
  workers: z.number().int().positive().optional(),
});
export type RunMeta = z.infer<typeof RunMeta>;

/**
 * How a run reads from disk. 'complete': result.json exists (its status says
 * how it ended); 'running': no result yet and the writing process is alive;
 * 'crashed': no result and the process is gone; 'incomplete': not even a run.json.
 */
export const RunState = z.enum(['complete', 'running', 'crashed', 'incomplete']);
export type RunState = z.infer<typeof RunState>;

/** A run's status in an experiment's list (the run statuses, plus not yet started or skipped). */
export const ExperimentRunStatus = z.union([RunStatus, z.enum(['pending', 'skipped', 'crashed'])]);
export type ExperimentRunStatus = z.infer<typeof ExperimentRunStatus>;

export const ExperimentRunEntry = z.object({
  runId: z.string().nullable(),
  name: z.string(),
  cell: z.record(z.string(), z.unknown()),
  status: ExperimentRunStatus,
});
export type ExperimentRunEntry = z.infer<typeof ExperimentRunEntry>;

/**
 * How an experiment stands: 'running' while its process lives; then
 * 'completed', 'cancelled' or 'failed' (every run failed, or the data set
 * could not be read); 'crashed' when its process died while running.
 */
export const ExperimentStatus = z.enum(['running', 'completed', 'cancelled', 'failed', 'crashed']);
export type ExperimentStatus = z.infer<typeof ExperimentStatus>;

/** experiments/<id>/experiment.json, rewritten atomically after every run. */
export const ExperimentRecord = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.string(),
  pid: z.number().int(),
  hostname: z.string(),
  status: ExperimentStatus,
  /** Why it failed (null unless status is 'failed'). */
  error: z.string().nullable(),
  engine: z.string().nullable(),
  /** The dataset spec as given (paths, input size, crop ...). */
  dataset: z.record(z.string(), z.unknown()),
  datasetSummary: DatasetSummary.nullable(),
  base: z.record(z.string(), z.unknown()),
  axes: z.record(z.string(), z.array(z.unknown())),
  runs: z.array(ExperimentRunEntry),
  wallTimeS: z.number().nullable(),
});
export type ExperimentRecord = z.infer<typeof ExperimentRecord>;

/** What runExperiment returns. */
export const ExperimentSummary = z.object({
  experimentId: z.string(),
  dir: z.string(),
  workspace: z.string(),
  status: ExperimentStatus,
  /** Why it failed (null unless status is 'failed'), as the record says. */
  error: ExperimentRecord.shape.error,
  engine: z.string().nullable(),
  dataset: DatasetSummary.nullable(),
  runs: z.array(
    ExperimentRunEntry.extend({
      dir: z.string().nullable(),
      result: RunResult.nullable(),
    }),
  ),
  wallTimeS: z.number(),
});
export type ExperimentSummary = z.infer<typeof ExperimentSummary>;

/** Per-angle-bin error of one run beside the zero predictor (degrees). */
export const BinRow = z.object({
  name: z.string(),
  loDeg: z.number(),
  hiDeg: z.number().nullable(),
  n: z.number().int(),
  maeDeg: z.number().nullable(),
  zeroMaeDeg: z.number().nullable(),
});
export type BinRow = z.infer<typeof BinRow>;

/** One row of an experiment's comparison table (experiments/compare.ts); all errors in degrees. */
export const ComparisonRow = z.object({
  runId: z.string(),
  name: z.string(),
  /** The run's model seed (initialisation, shuffling, augmentation); the split has its own. */
  seed: z.number().nullable(),
  /** How the reported epoch was chosen ('last-epoch'). */
  selection: z.string().nullable(),
  /** How the run ended: the result status, or the on-disk state when there is no result ('running', 'crashed'). */
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
  /** Range of the model's validation predictions and of the true angles, degrees. */
  predRangeDeg: z.tuple([z.number(), z.number()]).nullable(),
  trueRangeDeg: z.tuple([z.number(), z.number()]).nullable(),
  /**
   * Closed-loop autonomy estimate on the validation frames (targets/autonomy.ts): the model's %, interventions and
   * interventions per km, the zero and mean predictors' on the same frames, and where the speed (and, for an image
   * folder, the time) came from. Null for
   * runs recorded without one; optional so older comparison.json files still read.
   */
  autonomyPct: z.number().nullable().optional(),
  interventions: z.number().int().nullable().optional(),
  interventionsPerKm: z.number().nullable().optional(),
  baselineZeroAutonomyPct: z.number().nullable().optional(),
  baselineZeroInterventions: z.number().int().nullable().optional(),
  baselineMeanAutonomyPct: z.number().nullable().optional(),
  baselineMeanInterventions: z.number().int().nullable().optional(),
  autonomySpeed: z.string().nullable().optional(),
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

/** An experiment's comparison (comparison.json): rows, cells over seeds, their differences and the conclusions. */
export const Comparison = z.object({
  title: z.string(),
  dataset: DatasetSummary.nullable(),
  rows: z.array(ComparisonRow),
  /** Runs grouped by configuration (seeds repeat a cell), mean +- sd in degrees, and whether each trained. */
  cells: z.array(CellSummary),
  /** Pairs of cells compared on validation RMSE with a paired block bootstrap (95% intervals). */
  differences: z.array(CellDifference),
  /** Sentences computed from the rows, cells and differences, each quoting the numbers behind it. */
  conclusions: z.array(z.string()),
});
export type Comparison = z.infer<typeof Comparison>;
