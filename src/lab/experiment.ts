/**
 * A new experiment: plan the grid, record it, run every cell in order
 * (lab/run-cell.ts), settle its status. Cancelling (signal) records the
 * current run as cancelled and the rest as skipped; a run that throws is
 * recorded as failed and the next one starts.
 */
import { hostname } from 'node:os';
import { planModel } from '../model/plan.ts';
import type { RunConfig, RunConfigInput } from '../train/config.ts';
import { datasetRecord, specList } from '../experiments/dataset-record.ts';
import { expandGrid, gridCells, type GridAxes } from '../experiments/grid.ts';
import { reserveDir, workspacePaths } from '../experiments/store.ts';
import type { ExperimentRecord, ExperimentSummary } from '../experiments/types.ts';
import type { DatasetSpec } from '../video/types.ts';
import { runCellsOnQueue } from './queue/coordinator.ts';
import { runCell } from './run-cell.ts';
import { endStatus, openSession, type Session, type SessionOptions } from './session.ts';

export interface RunExperimentOptions extends SessionOptions {
  /**
   * The data set: one video spec, or several (one label source each, trained
   * on as one data set, see video/multi.ts). The input size of every spec is
   * replaced by the configs' model.input.
   */
  dataset: DatasetSpec | DatasetSpec[];
  base: RunConfigInput;
  /** Dotted config path -> values; {} runs the base config once. */
  axes: GridAxes;
  /** Experiment name (folder slug); default: the base config's name. */
  name?: string;
  /**
   * redis://HOST:PORT (or rediss://): run the cells on `steerlab worker`
   * processes through BullMQ instead of in this process (lab/queue/).
   */
  queue?: string;
}

/** The grid's configs, checked before anything is written: a model that cannot be built fails here. */
export function planExperiment(base: RunConfigInput, axes: GridAxes): RunConfig[] {
  const configs = expandGrid(base, axes);
  for (const c of configs) planModel(c.model);
  return configs;
}

/** Reserves the experiment folder and writes its first record (every cell pending). */
function recordExperiment(o: RunExperimentOptions, configs: RunConfig[], specs: DatasetSpec[]): { id: string; dir: string; record: ExperimentRecord } {
  const cells = gridCells(o.axes);
  const name = o.name ?? o.base.name ?? 'experiment';
  const { id, dir } = reserveDir(workspacePaths(o.workspace).experiments, name);
  const record: ExperimentRecord = {
    id, name, createdAt: new Date().toISOString(), pid: process.pid, hostname: hostname(), status: 'running',
    error: null, engine: null, dataset: datasetRecord(specs), datasetSummary: null, base: { ...o.base } as Record<string, unknown>,
    axes: o.axes, runs: configs.map((c, i) => ({ runId: null, name: c.name, cell: cells[i], status: 'pending' })), wallTimeS: null,
  };
  return { id, dir, record };
}

/**
 * Runs the given cells in order through one session and settles the
 * experiment: cancelled (the rest skipped) when the signal fires, failed when
 * a data set cannot be loaded, else the status its runs give (store.ts
 * settledStatus: completed only when every cell has a result).
 */
export async function runCells(s: Session, todo: { index: number; plan(): Parameters<typeof runCell>[1] }[]): Promise<ExperimentSummary> {
  try {
    for (let k = 0; k < todo.length; k++) {
      if (s.o.signal?.aborted) {
        s.skip(todo.slice(k).map((t) => t.index));
        return s.finish('cancelled', null);
      }
      let out;
      try {
        out = await runCell(s, todo[k].plan());
      } catch (err) {
        s.finish('failed', (err as Error).message);
        throw err;
      }
      const cancelled = out === 'cancelled' || out.result.status === 'cancelled' || s.o.signal?.aborted;
      if (cancelled) {
        s.skip(todo.slice(out === 'cancelled' ? k : k + 1).map((t) => t.index));
        return s.finish('cancelled', null);
      }
    }
    const { status, error } = endStatus(s);
    return s.finish(status, error);
  } finally {
    // Any way out (including an unexpected throw) stops the worker threads.
    s.release();
  }
}

/** Runs every grid cell in order; returns when all runs are recorded. */
export async function runExperiment(o: RunExperimentOptions): Promise<ExperimentSummary> {
  const specs = specList(o.dataset);
  const configs = planExperiment(o.base, o.axes);
  const { id, dir, record } = recordExperiment(o, configs, specs);
  const s = await openSession(o, { experimentId: id, dir, record, configs, specs });
  const todo = configs.map((config, index) => ({ index, plan: () => ({ index, config, workers: o.workers ?? 'auto' }) }));
  return o.queue ? runCellsOnQueue(s, todo, o.queue) : runCells(s, todo);
}
