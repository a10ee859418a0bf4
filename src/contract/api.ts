/**
 * The one contract: every request (name -> zod args, zod result) and every
 * push event (name -> zod payload). main/ (IPC), src/server (WebSocket) and
 * renderer/ all derive their types and their validation from these maps.
 * Push events carry the lab's own events (experiments/events.ts) with the
 * experiment's id: the same payloads, statuses and failure reasons.
 */
import { z } from 'zod';
import { RunConfig } from '../train/config.ts';
import { StepEvent, EpochEvent } from '../train/events.ts';
import { DiagnosticsSnapshot, Finding } from '../diagnostics/types.ts';
import { RunFinishedEvent, RunStartedEvent } from '../experiments/events.ts';
import { ExperimentSummary } from '../experiments/types.ts';
import {
  AppInfo, Axes, Comparison, CropPreview, DatasetOverview, DatasetSpec, ExperimentListEntry, ExtraVideo, FrameImage,
  InputSize, Preset, RunDetail, RunListEntry, SourceFrame,
} from './schemas.ts';
import { studyEvents, studyRequests } from './studies.ts';
import { LagCheck, SaliencyImage, SaliencyMethod } from './insight.ts';

export { IN_STEP_MS, LagCheck, SaliencyImage, SaliencyMethod } from './insight.ts';

const Empty = z.object({}).strict();
const Id = z.string().min(1).max(200).regex(/^[A-Za-z0-9._-]+$/, 'ids are letters, digits, dot, dash, underscore');

/** A push event as it was sent (name and payload): what a page replays to re-attach to a running experiment. */
export type SentEvent = { [E in EventName]: { name: E; payload: Payload<E> } }[EventName];
// Checked against the event's own schema when the result is validated (events is defined below; read at call time).
const SentEvent = z.custom<SentEvent>((v) => {
  const m = v as { name?: unknown; payload?: unknown } | null;
  return typeof m?.name === 'string' && isEventName(m.name) && events[m.name].safeParse(m.payload).success;
}, 'not a push event of the contract');

/** An experiment running in the lab, with the push events sent for it so far (decode and grid progress: the latest only). */
export const RunningExperiment = z.object({
  experimentId: z.string(),
  runIds: z.array(z.string()),
  startedAt: z.string(),
  history: z.array(SentEvent),
  /** Names of the grid's cells not started yet, in grid order (from its record): a page that re-attaches lists them as waiting. */
  waiting: z.array(z.string()).optional(),
});

/** Requests: name -> { args, result }. */
export const requests = {
  'app.info': { args: Empty, result: AppInfo },
  'dataset.open': {
    /** `more`: further videos of the same data set, each with its own labels, trained on as one (video/multi.ts). */
    args: DatasetSpec.extend({ input: InputSize.default({ width: 200, height: 66 }), more: z.array(ExtraVideo).max(32).optional() }).strict(),
    result: DatasetOverview,
  },
  /** Synthesises the demo drive in the workspace (once) and opens it. */
  'dataset.demo': {
    args: z.object({
      frames: z.number().int().min(30).max(20000).optional(),
      input: InputSize.default({ width: 200, height: 66 }),
    }).strict(),
    result: DatasetOverview,
  },
  'dataset.frame': { args: z.object({ datasetId: Id, sample: z.number().int().nonnegative() }).strict(), result: FrameImage },
  'dataset.preview': { args: z.object({ datasetId: Id }).strict(), result: CropPreview },
  /** One sample's uncropped frame at source resolution, decoded on request (the frame cache holds only the model input). */
  'dataset.sourceFrame': { args: z.object({ datasetId: Id, sample: z.number().int().nonnegative() }).strict(), result: SourceFrame },
  /**
   * The label-lag doctor on the open data set's (first) video: `steerlab lag --json`. Long (it decodes the
   * drive small): decode progress arrives as push events, and `dataset.lagCancel` ends it with a 'cancelled' error.
   */
  'dataset.lag': { args: z.object({ datasetId: Id }).strict(), result: LagCheck },
  'dataset.lagCancel': { args: z.object({ datasetId: Id }).strict(), result: z.object({ cancelled: z.boolean() }) },
  'experiment.presets': { args: Empty, result: z.array(Preset) },
  'experiment.start': {
    args: z.object({
      datasetId: Id,
      /** The base config (defaults filled by RunConfig). */
      base: RunConfig,
      axes: Axes,
      /** redis://HOST:PORT or rediss://: train the cells on `steerlab worker` processes (BullMQ) instead of in the lab. */
      queue: z.string().regex(/^rediss?:\/\//, 'a queue is a redis:// or rediss:// URL').max(2048).optional(),
    }).strict(),
    result: z.object({ experimentId: z.string(), runs: z.array(z.object({ name: z.string(), config: RunConfig })) }),
  },
  'experiment.cancel': { args: z.object({ experimentId: Id }).strict(), result: z.object({ cancelled: z.boolean() }) },
  /**
   * Finishes the cells of a stopped experiment that have no result (lab.experiments.resume), in the background:
   * its events arrive as push events, as for experiment.start. Refused while another experiment runs.
   */
  'experiment.resume': { args: z.object({ experimentId: Id }).strict(), result: z.object({ experimentId: z.string() }) },
  /** What is running now (at most one experiment): a page that (re)connects replays `history` and re-attaches. */
  'experiment.running': { args: Empty, result: z.array(RunningExperiment) },
  'experiments.list': { args: Empty, result: z.array(ExperimentListEntry) },
  'experiment.compare': {
    args: z.object({ experimentId: Id.optional(), runIds: z.array(Id).optional() }).strict(),
    result: Comparison,
  },
  'report.export': {
    args: z.object({ experimentId: Id, format: z.enum(['html', 'markdown', 'csv', 'json']) }).strict(),
    /** `path`: where the backend wrote it; `fileName`, `mime` and `text`: the file itself, for a browser to download. */
    result: z.object({ path: z.string(), bytes: z.number().int(), fileName: z.string(), mime: z.string(), text: z.string() }),
  },
  'runs.list': { args: Empty, result: z.array(RunListEntry) },
  'runs.get': { args: z.object({ runId: Id }).strict(), result: RunDetail },
  /** What a trained run looks at in one frame: `sample` is any sample index of its drive (a validation one comes from RunDetail.valSampleIndex). */
  'run.saliency': {
    args: z.object({ runId: Id, sample: z.number().int().nonnegative(), method: SaliencyMethod }).strict(),
    result: SaliencyImage,
  },
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
  /** experiments/events.ts run-started (its folder and grid cell stay in the backend). */
  'run.started': RunStartedEvent.omit({ type: true, dir: true, cell: true }),
  'run.step': z.object({ ...RunRef, step: StepEvent }),
  'run.diagnostics': z.object({ ...RunRef, snapshot: DiagnosticsSnapshot }),
  'run.finding': z.object({ ...RunRef, finding: Finding }),
  'run.epoch': z.object({ ...RunRef, epoch: EpochEvent }),
  /**
   * experiments/events.ts run-finished, however the run ended: result.status
   * says how (completed, stopped-early, diverged, cancelled, failed) and
   * result.error why it failed.
   */
  'run.finished': RunFinishedEvent.omit({ type: true, index: true }).extend(RunRef),
  /**
   * The experiment ended: its record's status ('completed', 'cancelled',
   * 'failed') and, when it failed, the reason; runIds are the runs it started.
   */
  'experiment.finished': z.object({
    experimentId: z.string(),
    status: ExperimentSummary.shape.status,
    runIds: z.array(z.string()),
    error: ExperimentSummary.shape.error,
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

