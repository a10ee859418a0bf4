/**
 * Experiments requests over the lab (lab/experiments.ts): start, cancel,
 * list and what is running, with the lab's events sent as contract push
 * events (experiment-events.ts). The lab owns the running state, so a page
 * that reloads asks `experiment.running` and re-attaches.
 */
import type { Args, ExperimentListEntry, HandlerContext, Preset, Result, SentEvent } from '../../contract/index.ts';
import { PRESETS } from '../../contract/index.ts';
import { RunConfig } from '../../train/config.ts';
import { CancelledError } from '../../errors.ts';
import type { Lab } from '../../lab/index.ts';
import { FINAL } from '../../lab/resume.ts';
import { readExperiment } from '../../experiments/store.ts';
import type { Datasets } from './datasets.ts';
import { engineReady } from './engine.ts';
import { emitExperimentFinished, experimentEventState, forwardExperimentEvent } from './experiment-events.ts';


export interface Experiments {
  presets(): Preset[];
  start(args: Args<'experiment.start'>): Promise<Result<'experiment.start'>>;
  cancel(experimentId: string): Promise<{ cancelled: boolean }>;
  /** Finishes the cells of a stopped experiment that have no result, forwarding its events as start does. */
  resume(experimentId: string): Promise<Result<'experiment.resume'>>;
  running(): Result<'experiment.running'>;
  list(): Promise<ExperimentListEntry[]>;
  cancelAll(): Promise<void>;
}

/**
 * The cells of a running experiment that have not started: those of its record without a result (pending, or
 * skipped, cancelled or crashed ones a resume trains) that are neither running nor among the runs it started.
 */
function waitingCells(dir: string, started: readonly string[]): string[] {
  const record = readExperiment(dir);
  if (!record) return [];
  return record.runs.filter((r) => !FINAL.has(r.status) && r.status !== 'running' && !(r.runId && started.includes(r.runId))).map((r) => r.name);
}

export function createExperiments(o: { lab: Lab; emit: HandlerContext['emit']; datasets: Datasets }): Experiments {
  return {
    presets: () => PRESETS,

    async start(args) {
      const { specs } = o.datasets.get(args.datasetId);
      await engineReady();
      const state = experimentEventState();
      const { experimentId, configs, done } = await o.lab.experiments.start({
        dataset: specs.length === 1 ? specs[0] : specs, base: args.base, axes: args.axes, queue: args.queue,
        onEvent: (e) => forwardExperimentEvent(e, state, o.emit),
      });
      void done.then(
        (summary) => emitExperimentFinished({ summary }, state, o.emit),
        (err: Error) => emitExperimentFinished({ error: err, cancelled: err instanceof CancelledError }, state, o.emit),
      );
      return { experimentId, runs: configs.map((c) => ({ name: c.name, config: RunConfig.parse(c) })) };
    },

    async resume(experimentId) {
      await engineReady();
      const state = experimentEventState();
      const started = await o.lab.experiments.resume(experimentId, { onEvent: (e) => forwardExperimentEvent(e, state, o.emit) });
      void started.done.then(
        ({ summary }) => emitExperimentFinished({ summary }, state, o.emit),
        (err: Error) => emitExperimentFinished({ error: err, cancelled: err instanceof CancelledError }, state, o.emit),
      );
      return { experimentId: started.experimentId };
    },

    async cancel(experimentId) {
      return { cancelled: await o.lab.experiments.cancel(experimentId) };
    },

    running() {
      // The lab keeps its own events; replaying them through the one translation gives exactly what was pushed.
      return o.lab.experiments.running().map((r) => {
        const history: SentEvent[] = [];
        const state = experimentEventState();
        for (const e of r.events) forwardExperimentEvent(e, state, (name, payload) => history.push({ name, payload } as SentEvent));
        return { experimentId: r.experimentId, runIds: r.runIds, startedAt: r.startedAt, history, waiting: waitingCells(r.dir, r.runIds) };
      });
    },

    async list() {
      return o.lab.experiments.list().map(({ dir, record }) => (
        {
          experimentId: dir.split(/[\\/]/).pop() ?? record.id, runIds: record.runs.flatMap((r) => (r.runId ? [r.runId] : [])), createdAt: record.createdAt, status: record.status,
          unfinished: record.status === 'running' ? 0 : record.runs.filter((r) => !FINAL.has(r.status)).length,
        }
      ));
    },

    cancelAll: () => o.lab.experiments.cancelAll(),
  };
}
