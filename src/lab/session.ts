/**
 * One experiment while this process writes it: its record, its planned
 * configs, the data sets and worker pool its cells share, progress over the
 * whole grid, and how it ends. A new experiment (lab/experiment.ts) and a
 * resumed one (lab/resume.ts) both run their cells through a session, so a
 * run is recorded the same way whichever started it.
 */
import { availableParallelism, hostname } from 'node:os';
import { initEngine, type EngineName } from '../engine/index.ts';
import type { PoolKeeper } from '../engine/pool.ts';
import { planWorkers, type WorkerPlan, type WorkersOption } from '../engine/workers.ts';
import type { RunConfig } from '../train/config.ts';
import type { RunResult } from '../train/events.ts';
import type { ExperimentEvent } from '../experiments/events.ts';
import { settledStatus, workspacePaths, writeExperiment } from '../experiments/store.ts';
import type { ExperimentRecord, ExperimentSummary } from '../experiments/types.ts';
import type { DatasetSpec } from '../video/types.ts';
import { createDataCache, type DataCache } from './data-cache.ts';

/** What every way of running cells accepts (the lab's experiment options minus the grid). */
export interface SessionOptions {
  workspace: string;
  signal?: AbortSignal;
  onEvent?(e: ExperimentEvent): void;
  /** Frame cache folder; default <workspace>/cache. */
  cacheDir?: string;
  /**
   * Gradient worker threads per run (wasm engine): a count, or 'auto'
   * (default: workers on a multi-core machine for models big enough to gain,
   * see engine/workers.ts). One pool serves the whole experiment.
   */
  workers?: WorkersOption;
  /** Called once per run with the worker decision and its reason (for logs). */
  onWorkerPlan?(p: WorkerPlan & { index: number; name: string; engine: string }): void;
}

export interface Session {
  readonly o: SessionOptions;
  readonly experimentId: string;
  readonly dir: string;
  readonly record: ExperimentRecord;
  /** Every cell's config, in grid order. */
  readonly configs: RunConfig[];
  readonly results: (RunResult | null)[];
  readonly runDirs: (string | null)[];
  readonly data: DataCache;
  /** The engine initialised for configs[0] ('auto' resolved). */
  engineName: string;
  pools: PoolKeeper | null;
  emit(e: ExperimentEvent): void;
  save(): void;
  /** Adds a run's engine label to the record ('wasm, wasm x2 workers'). */
  noteEngine(label: string): void;
  /** The engine a config trains on: the session's unless it names another. */
  engineOf(config: RunConfig): string;
  /** The worker decision for a run: the same for every cell (the pool serves the whole grid). */
  planFor(config: RunConfig, trainSize: number, workers: WorkersOption): WorkerPlan;
  /** Grid-wide progress; throttled to one event per 500 ms unless forced. */
  progress(runsDone: number, runFraction: number, force?: boolean): void;
  /** Marks these cells skipped (the ones a cancelled session did not reach). */
  skip(indices: number[]): void;
  /** Records how the experiment ended, releases its resources and returns its summary. */
  finish(status: ExperimentRecord['status'], error: string | null): ExperimentSummary;
  /** Stops the worker pool and closes the frame caches (any way out). */
  release(): void;
}

/** The final status once every planned cell has been tried (see store.ts settledStatus). */
export function endStatus(s: Session): { status: ExperimentRecord['status']; error: string | null } {
  const status = settledStatus(s.record.runs);
  const error = status === 'failed' ? (s.results.find((r) => r)?.error ?? 'every run failed') : null;
  return { status, error };
}

/** What openSession needs besides the options: the experiment, its planned cells and their data. */
export interface SessionInput {
  experimentId: string; dir: string; record: ExperimentRecord; configs: RunConfig[]; specs: DatasetSpec[]; priorWallTimeS?: number;
  /** false: keep the record in memory only (a queue worker runs a cell of an experiment another machine records). */
  persist?: boolean;
}

/** Training steps of the whole grid on `trainSize` samples: what one worker pool would serve. */
function gridSteps(configs: RunConfig[], trainSize: number): number {
  return configs.reduce((sum, c) => {
    const full = Math.ceil(trainSize / c.batchSize);
    return sum + c.epochs * (c.maxStepsPerEpoch > 0 ? Math.min(full, c.maxStepsPerEpoch) : full);
  }, 0);
}

/** Session.noteEngine over a record: each engine label once, in first-use order, kept in record.engine. */
function engineNoter(record: ExperimentRecord): (label: string) => void {
  const labels: string[] = record.engine ? record.engine.split(', ') : [];
  return (label) => {
    if (!labels.includes(label)) labels.push(label);
    record.engine = labels.join(', ');
  };
}

/** Session.progress: grid-wide fraction and ETA since `t0` (performance.now() ms), at most one event per 500 ms unless forced. */
function progressReporter(total: number, t0: number, emit: (e: ExperimentEvent) => void): Session['progress'] {
  let lastProgress = 0;
  return (runsDone, runFraction, force = false) => {
    const now = performance.now();
    if (!force && now - lastProgress < 500) return;
    lastProgress = now;
    const fraction = Math.min(1, (runsDone + runFraction) / total);
    const elapsed = (now - t0) / 1000;
    emit({ type: 'progress', runsDone, runsTotal: total, fraction, etaS: fraction > 0.01 ? (elapsed / fraction) * (1 - fraction) : null });
  };
}

/** The summary of a session that ended so: the record's runs with their folders and results. */
function summaryOf(s: Session, workspaceRoot: string, end: Pick<ExperimentSummary, 'status' | 'error' | 'wallTimeS'>): ExperimentSummary {
  const { record } = s;
  return {
    experimentId: s.experimentId, dir: s.dir, workspace: workspaceRoot, status: end.status, error: end.error, engine: record.engine, dataset: record.datasetSummary,
    runs: record.runs.map((r, i) => ({ ...r, dir: s.runDirs[i], result: s.results[i] })), wallTimeS: end.wallTimeS,
  };
}

/**
 * This process now writes the experiment (if it dies, the record reads as
 * crashed): marks the record running, says so, and initialises the engine of
 * the first cell. An engine that fails to start finishes the session as failed.
 */
async function startSession(s: Session): Promise<void> {
  const { record } = s;
  Object.assign(record, { pid: process.pid, hostname: hostname(), status: 'running' });
  s.save();
  s.emit({ type: 'experiment-started', experimentId: s.experimentId, dir: s.dir, runs: record.runs.map((r) => ({ name: r.name, cell: r.cell })) });
  try {
    s.engineName = (await initEngine(s.configs[0].engine as EngineName | 'auto')).name;
    if (!record.engine) record.engine = s.engineName;
  } catch (err) {
    s.finish('failed', (err as Error).message);
    throw err;
  }
}

/**
 * Opens a session over a record (new, or read back for a resume) and
 * initialises the engine. `priorWallTimeS`: time the experiment already took
 * in earlier processes (a resume adds to it).
 */
export async function openSession(o: SessionOptions, x: SessionInput): Promise<Session> {
  const t0 = performance.now();
  const ws = workspacePaths(o.workspace);
  const { record, configs } = x;
  const s: Session = {
    o, experimentId: x.experimentId, dir: x.dir, record, configs,
    results: configs.map(() => null),
    runDirs: configs.map(() => null),
    data: createDataCache(x.specs, { cacheDir: o.cacheDir ?? ws.cache, signal: o.signal, emit: (e) => s.emit(e) }),
    engineName: '',
    pools: null,
    emit: (e) => o.onEvent?.(e),
    save: () => {
      if (x.persist !== false) writeExperiment(x.dir, record);
    },
    noteEngine: engineNoter(record),
    engineOf: (c) => (c.engine === 'auto' || c.engine === configs[0].engine ? s.engineName : c.engine),
    planFor(config, trainSize, workers) {
      // Steps one pool would serve: the whole grid (cells share it), so every cell gets the same decision.
      return planWorkers(workers, { engine: s.engineOf(config), model: config.model, batchSize: config.batchSize, cores: availableParallelism(), plannedSteps: gridSteps(configs, trainSize) });
    },
    progress: progressReporter(configs.length, t0, (e) => s.emit(e)),
    skip(indices) {
      for (const k of indices) record.runs[k].status = 'skipped';
    },
    release() {
      s.pools?.dispose();
      s.pools = null;
      s.data.close();
    },
    finish(status, error) {
      s.release();
      record.status = status;
      record.error = error;
      const wallTimeS = (x.priorWallTimeS ?? 0) + (performance.now() - t0) / 1000;
      record.wallTimeS = wallTimeS;
      s.save();
      const summary = summaryOf(s, ws.root, { status, error, wallTimeS });
      s.emit({ type: 'experiment-finished', summary });
      return summary;
    },
  };
  await startSession(s);
  return s;
}
