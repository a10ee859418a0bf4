/**
 * The one contract: every request (name -> zod args, zod result) and every
 * push event (name -> zod payload). main/ (IPC), src/server (WebSocket) and
 * renderer/ all derive their types and their validation from these maps.
 */
import { z } from 'zod';
import { RunConfig } from '../train/config.ts';
import { StepEvent, EpochEvent, RunResult } from '../train/events.ts';
import { DiagnosticsSnapshot, Finding } from '../diagnostics/types.ts';
import {
  AppInfo, Axes, Comparison, CropPreview, DatasetSpec, DatasetSummary, ExperimentListEntry, ExtraVideo, FrameImage,
  InputSize, Preset, RunDetail, RunListEntry,
} from './schemas.ts';
import { studyEvents, studyRequests } from './studies.ts';

const Empty = z.object({}).strict();
const Id = z.string().min(1).max(200).regex(/^[A-Za-z0-9._-]+$/, 'ids are letters, digits, dot, dash, underscore');

/** Requests: name -> { args, result }. */
export const requests = {
  'app.info': { args: Empty, result: AppInfo },
  'dataset.open': {
    /** `more`: further videos of the same data set, each with its own labels, trained on as one (video/multi.ts). */
    args: DatasetSpec.extend({ input: InputSize.default({ width: 200, height: 66 }), more: z.array(ExtraVideo).max(32).optional() }).strict(),
    result: DatasetSummary,
  },
  /** Synthesises the demo drive in the workspace (once) and opens it. */
  'dataset.demo': {
    args: z.object({
      frames: z.number().int().min(30).max(20000).optional(),
      input: InputSize.default({ width: 200, height: 66 }),
    }).strict(),
    result: DatasetSummary,
  },
  'dataset.frame': { args: z.object({ datasetId: Id, sample: z.number().int().nonnegative() }).strict(), result: FrameImage },
  'dataset.preview': { args: z.object({ datasetId: Id }).strict(), result: CropPreview },
  'experiment.presets': { args: Empty, result: z.array(Preset) },
  'experiment.start': {
    args: z.object({
      datasetId: Id,
      /** The base config (defaults filled by RunConfig). */
      base: RunConfig,
      axes: Axes,
    }).strict(),
    result: z.object({ experimentId: z.string(), runs: z.array(z.object({ name: z.string(), config: RunConfig })) }),
  },
  'experiment.cancel': { args: z.object({ experimentId: Id }).strict(), result: z.object({ cancelled: z.boolean() }) },
  'experiments.list': { args: Empty, result: z.array(ExperimentListEntry) },
  'experiment.compare': {
    args: z.object({ experimentId: Id.optional(), runIds: z.array(Id).optional() }).strict(),
    result: Comparison,
  },
  'report.export': {
    args: z.object({ experimentId: Id, format: z.enum(['html', 'markdown', 'csv', 'json']) }).strict(),
    result: z.object({ path: z.string(), bytes: z.number().int() }),
  },
  'runs.list': { args: Empty, result: z.array(RunListEntry) },
  'runs.get': { args: z.object({ runId: Id }).strict(), result: RunDetail },
  ...studyRequests,
} as const;

const RunRef = { experimentId: z.string(), runId: z.string() };

/** Push events: name -> payload. */
export const events = {
  /** Long work (synthesis, decoding, training) with an ETA in seconds. */
  progress: z.object({
    task: z.enum(['synth', 'decode', 'train']),
    experimentId: z.string().nullable(),
    done: z.number(),
    total: z.number(),
    etaS: z.number().nullable(),
    message: z.string(),
  }),
  'run.started': z.object({ ...RunRef, index: z.number().int(), total: z.number().int(), name: z.string(), config: RunConfig }),
  'run.step': z.object({ ...RunRef, step: StepEvent }),
  'run.diagnostics': z.object({ ...RunRef, snapshot: DiagnosticsSnapshot }),
  'run.finding': z.object({ ...RunRef, finding: Finding }),
  'run.epoch': z.object({ ...RunRef, epoch: EpochEvent }),
  'run.finished': z.object({ ...RunRef, result: RunResult }),
  'run.failed': z.object({ ...RunRef, error: z.string() }),
  'run.cancelled': z.object({ ...RunRef, result: RunResult.nullable() }),
  'experiment.finished': z.object({
    experimentId: z.string(),
    status: z.enum(['finished', 'cancelled', 'failed']),
    runIds: z.array(z.string()),
    error: z.string().nullable(),
  }),
  ...studyEvents,
} as const;

export type Requests = typeof requests;
export type Events = typeof events;
export type RequestName = keyof Requests;
export type EventName = keyof Events;
/** What a caller passes (defaults may be omitted). */
export type ArgsIn<K extends RequestName> = z.input<Requests[K]['args']>;
/** What a handler receives (validated, defaults filled). */
export type Args<K extends RequestName> = z.output<Requests[K]['args']>;
export type Result<K extends RequestName> = z.output<Requests[K]['result']>;
export type Payload<E extends EventName> = z.output<Events[E]>;

export const REQUEST_NAMES = Object.keys(requests) as RequestName[];
export const EVENT_NAMES = Object.keys(events) as EventName[];

export function isRequestName(name: string): name is RequestName {
  return Object.prototype.hasOwnProperty.call(requests, name);
}
export function isEventName(name: string): name is EventName {
  return Object.prototype.hasOwnProperty.call(events, name);
}

export { DatasetSpec };
