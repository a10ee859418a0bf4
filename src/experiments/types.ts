/**
 * Records the experiment store writes and reads, as zod schemas so contract/
 * can validate them at the IPC/WebSocket boundary.
 */
import { z } from 'zod';
import { RunResult, RunStatus } from '../train/events.ts';

/**
 * One video of a several-video data set: its files and where its samples sit
 * in the concatenated set, [firstSample, firstSample + samples). The run
 * record (below) and the server's data-set summary (contract/) extend it.
 */
export const VideoSpan = z.object({
  source: z.string(),
  labels: z.string().nullable(),
  frames: z.number().int(),
  firstSample: z.number().int(),
  samples: z.number().int(),
});
export type VideoSpan = z.infer<typeof VideoSpan>;

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

/** experiments/<id>/experiment.json, rewritten atomically after every run. */
export const ExperimentRecord = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.string(),
  pid: z.number().int(),
  hostname: z.string(),
  status: z.enum(['running', 'completed', 'cancelled', 'failed', 'crashed']),
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
  status: ExperimentRecord.shape.status,
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
