/**
 * Experiments started from the app: runExperiment (experiments/runner.ts)
 * in the background, its events mapped to contract push events, one
 * AbortController per experiment for cancellation.
 */
import type { Args, ExperimentListEntry, HandlerContext, Preset, Result } from '../../contract/index.ts';
import { PRESETS } from '../../contract/index.ts';
import { RunConfig } from '../../train/config.ts';
import type { ExperimentEvent } from '../../experiments/events.ts';
import { UserError } from '../../errors.ts';
import type { Datasets } from './datasets.ts';
import { engineReady } from './engine.ts';

interface Running {
  ac: AbortController;
  done: Promise<void>;
  runIds: string[];
}

export interface Experiments {
  presets(): Preset[];
  start(args: Args<'experiment.start'>): Promise<Result<'experiment.start'>>;
  cancel(experimentId: string): Promise<{ cancelled: boolean }>;
  list(): Promise<ExperimentListEntry[]>;
  cancelAll(): Promise<void>;
}

export function createExperiments(o: { workspace: string; emit: HandlerContext['emit']; datasets: Datasets }): Experiments {
  const running = new Map<string, Running>();

  return {
    presets: () => PRESETS,

    async start(args) {
      const { specs } = o.datasets.get(args.datasetId);
      await engineReady();
      const { runExperiment } = await import('../../experiments/runner.ts');
      const { expandGrid } = await import('../../experiments/grid.ts');
      const planned = expandGrid(args.base, args.axes);
      if (planned.length === 0) throw new UserError('the grid is empty: give every axis at least one value');
      const ac = new AbortController();
      let experimentId: string | null = null;
      let currentRun: string | null = null;
      const runIds: string[] = [];
      let total = planned.length;

      const onEvent = (e: ExperimentEvent): void => {
        const ex = experimentId ?? '';
        switch (e.type) {
          case 'experiment-started':
            experimentId = e.experimentId;
            running.set(e.experimentId, entry);
            resolveStarted(e.experimentId);
            break;
          case 'dataset-progress':
            o.emit('progress', { task: 'decode', experimentId: ex, done: e.done, total: e.total, etaS: e.etaS, message: `decoding ${e.done}/${e.total} frames` });
            break;
          case 'run-started':
            currentRun = e.runId;
            runIds.push(e.runId);
            total = e.total;
            o.emit('run.started', { experimentId: ex, runId: e.runId, index: e.index, total: e.total, name: e.name, config: e.config });
            break;
          case 'run-event': {
            const t = e.event;
            const ref = { experimentId: ex, runId: e.runId };
            if (t.type === 'step') o.emit('run.step', { ...ref, step: t });
            else if (t.type === 'diagnostics') o.emit('run.diagnostics', { ...ref, snapshot: t.snapshot });
            else if (t.type === 'epoch') o.emit('run.epoch', { ...ref, epoch: t });
            else if (t.type === 'finding') o.emit('run.finding', { ...ref, finding: t.finding });
            break;
          }
          case 'run-finished': {
            const ref = { experimentId: ex, runId: e.runId };
            if (e.result.status === 'cancelled') o.emit('run.cancelled', { ...ref, result: e.result });
            else if (e.result.status === 'failed') o.emit('run.failed', { ...ref, error: e.result.error ?? 'the run failed' });
            else o.emit('run.finished', { ...ref, result: e.result });
            if (currentRun === e.runId) currentRun = null;
            break;
          }
          case 'progress':
            o.emit('progress', { task: 'train', experimentId: ex, done: e.runsDone, total: e.runsTotal, etaS: e.etaS, message: `run ${Math.min(e.runsDone + 1, e.runsTotal)} of ${e.runsTotal}, ${(e.fraction * 100).toFixed(0)}% of all steps` });
            break;
          default:
            break;
        }
      };

      let resolveStarted: (id: string) => void = () => {};
      const started = new Promise<string>((r) => (resolveStarted = r));
      const entry: Running = { ac, runIds, done: Promise.resolve() };
      const job = runExperiment({ dataset: specs.length === 1 ? specs[0] : specs, base: args.base, axes: args.axes, workspace: o.workspace, signal: ac.signal, onEvent });
      entry.done = job.then(
        (summary) => {
          const status = summary.status === 'cancelled' ? 'cancelled' : summary.status === 'completed' ? 'finished' : 'failed';
          o.emit('experiment.finished', { experimentId: summary.experimentId, status, runIds: summary.runs.flatMap((r) => (r.runId ? [r.runId] : [])), error: null });
        },
        (err: Error) => {
          const cancelled = err?.name === 'CancelledError' || ac.signal.aborted;
          if (currentRun && experimentId) o.emit('run.failed', { experimentId, runId: currentRun, error: err.message });
          if (experimentId) o.emit('experiment.finished', { experimentId, status: cancelled ? 'cancelled' : 'failed', runIds, error: cancelled ? null : err.message });
        },
      ).finally(() => {
        if (experimentId) running.delete(experimentId);
      });
      // Resolve as soon as the experiment has an id; a failure before that is the request's failure.
      const id = await Promise.race([started, job.then((s) => s.experimentId)]);
      void total;
      return { experimentId: id, runs: planned.map((c) => ({ name: c.name, config: RunConfig.parse(c) })) };
    },

    async cancel(experimentId) {
      const r = running.get(experimentId);
      if (!r) return { cancelled: false };
      r.ac.abort();
      await r.done;
      return { cancelled: true };
    },

    async list() {
      const { listExperiments } = await import('../../experiments/store.ts');
      return listExperiments(o.workspace).flatMap(({ dir, record }) => {
        if (!record) return [];
        const status = record.status === 'completed' ? 'finished' : record.status === 'crashed' ? 'failed' : record.status;
        return [{ experimentId: dir.split(/[\\/]/).pop() ?? record.id, runIds: record.runs.flatMap((r) => (r.runId ? [r.runId] : [])), createdAt: record.createdAt, status }];
      });
    },

    async cancelAll() {
      for (const r of running.values()) r.ac.abort();
      await Promise.allSettled([...running.values()].map((r) => r.done));
    },
  };
}
