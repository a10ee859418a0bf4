/**
 * What runExperiment reports while it runs, for the CLI progress bars and
 * the app's push events: contract/ derives its run.started and run.finished
 * payloads from these schemas, so the app sees the same statuses and
 * failure reasons as the CLI.
 */
import { z } from 'zod';
import { RunConfig } from '../train/config.ts';
import { RunResult, TrainEvent } from '../train/events.ts';
import { DatasetSummary, ExperimentSummary } from './types.ts';

export const ExperimentStartedEvent = z.object({
  type: z.literal('experiment-started'),
  experimentId: z.string(),
  dir: z.string(),
  runs: z.array(z.object({ name: z.string(), cell: z.record(z.string(), z.unknown()) })),
});

/** Decoding the video into the frame cache (skipped on a cache hit). */
export const DatasetProgressEvent = z.object({
  type: z.literal('dataset-progress'),
  done: z.number().int(),
  total: z.number().int(),
  etaS: z.number().nullable(),
});

export const DatasetReadyEvent = z.object({
  type: z.literal('dataset-ready'),
  dataset: DatasetSummary,
  cacheHit: z.boolean(),
  engine: z.string(),
});

export const RunStartedEvent = z.object({
  type: z.literal('run-started'),
  experimentId: z.string(),
  runId: z.string(),
  dir: z.string(),
  /** 0-based position in the grid, and the grid size. */
  index: z.number().int(),
  total: z.number().int(),
  name: z.string(),
  cell: z.record(z.string(), z.unknown()),
  config: RunConfig,
});

/** A trainer event of the current run, forwarded as is. */
export const RunTrainEvent = z.object({
  type: z.literal('run-event'),
  runId: z.string(),
  index: z.number().int(),
  event: TrainEvent,
});

export const RunFinishedEvent = z.object({
  type: z.literal('run-finished'),
  runId: z.string(),
  index: z.number().int(),
  result: RunResult,
});

/** Whole-experiment progress: fraction of all planned steps done, and an ETA in seconds. */
export const ExperimentProgressEvent = z.object({
  type: z.literal('progress'),
  runsDone: z.number().int(),
  runsTotal: z.number().int(),
  fraction: z.number().min(0).max(1),
  etaS: z.number().nullable(),
});

export const ExperimentFinishedEvent = z.object({
  type: z.literal('experiment-finished'),
  summary: ExperimentSummary,
});

export const ExperimentEvent = z.discriminatedUnion('type', [
  ExperimentStartedEvent, DatasetProgressEvent, DatasetReadyEvent, RunStartedEvent, RunTrainEvent, RunFinishedEvent,
  ExperimentProgressEvent, ExperimentFinishedEvent,
]);
export type ExperimentEvent = z.infer<typeof ExperimentEvent>;
