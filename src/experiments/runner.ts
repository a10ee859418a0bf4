/**
 * Runs an experiment: every cell of a config grid on the same data set,
 * split and seed, one after the other, each recorded in the workspace store.
 * Used by the CLI, the server and the studies.
 */
import { availableParallelism, hostname } from 'node:os';
import { join } from 'node:path';
import { CancelledError, UserError } from '../errors.ts';
import { initEngine, type EngineName } from '../engine/index.ts';
import type { ParallelProvider } from '../engine/parallel.ts';
import { createPoolKeeper, type PoolKeeper } from '../engine/pool.ts';
import { engineLabel, planWorkers, type WorkerPlan, type WorkersOption } from '../engine/workers.ts';
import { exportLayersModel } from '../model/export.ts';
import { planModel } from '../model/plan.ts';
import type { RunConfig, RunConfigInput } from '../train/config.ts';
import type { RunResult, TrainEvent } from '../train/events.ts';
import { trainRun } from '../train/trainer.ts';
import { loadDatasets } from '../video/multi.ts';
import type { Dataset, DatasetSpec, DecodeProgress } from '../video/types.ts';
import { datasetRecord, datasetSpecsOfRecord, specList, summarizeDataset } from './dataset-record.ts';
import type { ExperimentEvent } from './events.ts';
import { expandGrid, gridCells, type GridAxes, type GridCell } from './grid.ts';
import { readExperiment, readRun, RunWriter, reserveDir, settledStatus, workspacePaths, writeExperiment, type TargetTransformFile } from './store.ts';
import { datasetToTrainingData, FrameLru, type DatasetTrainingData } from './training-data.ts';
import type { ExperimentRecord, ExperimentSummary } from './types.ts';

export interface RunExperimentOptions {
  /**
   * The data set: one video spec, or several (one label source each, trained
   * on as one data set, see video/multi.ts). The input size of every spec is
   * replaced by the configs' model.input.
   */
  dataset: DatasetSpec | DatasetSpec[];
  base: RunConfigInput;
  /** Dotted config path -> values; {} runs the base config once. */
  axes: GridAxes;
  workspace: string;
  /** Experiment name (folder slug); default: the base config's name. */
  name?: string;
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

/** Affine map from model output to degrees, read off the transform itself (so it is right for any kind). */
export function targetTransformFile(t: { kind: string; params: Record<string, number>; toDeg(v: number): number }): TargetTransformFile {
  const offset = t.toDeg(0);
  const scale = t.toDeg(1) - offset;
  const check = t.toDeg(-1);
  if (Math.abs(check - (offset - scale)) > 1e-6 * Math.max(1, Math.abs(scale))) {
    throw new Error(`target transform '${t.kind}' is not affine; cannot describe it as scale and offset`);
  }
  return { kind: t.kind, params: t.params, degrees: { scale, offset }, formula: `degrees = ${scale} * output + ${offset}` };
}

function emptyResult(status: RunResult['status'], engine: string, error: string | null, wallTimeS: number): RunResult {
  return { status, engine, epochs: 0, steps: 0, wallTimeS, paramCount: 0, bestEpoch: null, selection: 'last-epoch', val: null, findings: [], error };
}

/**
 * Runs every grid cell in order. Cancelling (signal) records the current run
 * as cancelled and the rest as skipped; a run that throws is recorded as
 * failed and the next one starts. Returns when all runs are recorded.
 */
export async function runExperiment(o: RunExperimentOptions): Promise<ExperimentSummary> {
  const t0 = performance.now();
  const emit = (e: ExperimentEvent): void => o.onEvent?.(e);
  const specs = specList(o.dataset);
  const configs = expandGrid(o.base, o.axes);
  // A model that cannot be built (e.g. an auxiliary head after a layer it does not have) fails here, before anything is written.
  for (const c of configs) planModel(c.model);
  const cells = gridCells(o.axes);
  const ws = workspacePaths(o.workspace);
  const name = o.name ?? o.base.name ?? 'experiment';
  const { id: experimentId, dir: expDir } = reserveDir(ws.experiments, name);

  const record: ExperimentRecord = {
    id: experimentId, name, createdAt: new Date().toISOString(), pid: process.pid, hostname: hostname(), status: 'running',
    error: null, engine: null, dataset: datasetRecord(specs), datasetSummary: null, base: { ...o.base } as Record<string, unknown>,
    axes: o.axes, runs: configs.map((c, i) => ({ runId: null, name: c.name, cell: cells[i], status: 'pending' })), wallTimeS: null,
  };
  const save = (): void => writeExperiment(expDir, record);
  save();
  emit({ type: 'experiment-started', experimentId, dir: expDir, runs: record.runs.map((r) => ({ name: r.name, cell: r.cell })) });

  const results: (RunResult | null)[] = configs.map(() => null);
  const runDirs: (string | null)[] = configs.map(() => null);
  const datasets = new Map<string, Dataset>();
  // Worker threads: one pool for the experiment, reused across cells (see engine/pool.ts); finish() stops it.
  let pools: PoolKeeper | null = null;
  const finish = (status: ExperimentRecord['status'], error: string | null): ExperimentSummary => {
    pools?.dispose();
    pools = null;
    for (const ds of datasets.values()) ds.frames.close();
    record.status = status;
    record.error = error;
    record.wallTimeS = (performance.now() - t0) / 1000;
    save();
    const summary: ExperimentSummary = {
      experimentId, dir: expDir, workspace: ws.root, status, engine: record.engine, dataset: record.datasetSummary,
      runs: record.runs.map((r, i) => ({ ...r, dir: runDirs[i], result: results[i] })), wallTimeS: record.wallTimeS,
    };
    emit({ type: 'experiment-finished', summary });
    return summary;
  };

  let engineName: string;
  try {
    const engine = await initEngine(configs[0].engine as EngineName | 'auto');
    engineName = engine.name;
    record.engine = engineName;
  } catch (err) {
    finish('failed', (err as Error).message);
    throw err;
  }

  // One decoded data set per input size; one split per split config (its own seed), shared by every model seed.
  const loadFor = async (c: RunConfig): Promise<Dataset> => {
    const key = `${c.model.input.width}x${c.model.input.height}`;
    const cached = datasets.get(key);
    if (cached) return cached;
    const ds = await loadDatasets(
        specs.map((s) => ({ ...s, input: { width: c.model.input.width, height: c.model.input.height } })),
        {
          cacheDir: o.cacheDir ?? ws.cache,
          signal: o.signal,
          onProgress: (p: DecodeProgress) => emit({ type: 'dataset-progress', done: p.done, total: p.total, etaS: p.etaS }),
        },
      );
    datasets.set(key, ds);
    return ds;
  };
  const dataFor = new Map<string, DatasetTrainingData>();
  const lrus = new Map<Dataset, FrameLru>();
  const trainingData = (ds: Dataset, c: RunConfig): DatasetTrainingData => {
    const key = `${c.model.input.width}x${c.model.input.height}|${JSON.stringify(c.split)}|${JSON.stringify(c.augment)}`;
    let td = dataFor.get(key);
    if (!td) {
      let lru = lrus.get(ds);
      if (!lru) lrus.set(ds, (lru = new FrameLru(ds.frames)));
      td = datasetToTrainingData(ds, c.split, c.augment, { frameCache: lru });
      dataFor.set(key, td);
    }
    return td;
  };

  const labels: string[] = [];
  const noteEngine = (label: string): void => {
    if (!labels.includes(label)) labels.push(label);
    record.engine = labels.join(', ');
  };
  const planFor = (config: RunConfig, trainSize: number): WorkerPlan => {
    const runEngine = config.engine === 'auto' || config.engine === configs[0].engine ? engineName : config.engine;
    // Steps one pool would serve: the whole grid (cells share it), so every cell gets the same decision.
    const planned = configs.reduce((sum, c) => {
      const full = Math.ceil(trainSize / c.batchSize);
      return sum + c.epochs * (c.maxStepsPerEpoch > 0 ? Math.min(full, c.maxStepsPerEpoch) : full);
    }, 0);
    return planWorkers(o.workers ?? 'auto', { engine: runEngine, model: config.model, batchSize: config.batchSize, cores: availableParallelism(), plannedSteps: planned });
  };

  // Progress over the whole grid: each run's share is its planned steps; runs that stop early jump to done.
  const total = configs.length;
  let lastProgress = 0;
  const progress = (runsDone: number, runFraction: number, force = false): void => {
    const now = performance.now();
    if (!force && now - lastProgress < 500) return;
    lastProgress = now;
    const fraction = Math.min(1, (runsDone + runFraction) / total);
    const elapsed = (now - t0) / 1000;
    emit({ type: 'progress', runsDone, runsTotal: total, fraction, etaS: fraction > 0.01 ? (elapsed / fraction) * (1 - fraction) : null });
  };

  try {
    for (let i = 0; i < configs.length; i++) {
      const config = configs[i];
      if (o.signal?.aborted) {
        record.runs[i].status = 'skipped';
        continue;
      }
      let ds: Dataset;
      let td: DatasetTrainingData;
      try {
        ds = await loadFor(config);
        td = trainingData(ds, config);
      } catch (err) {
        if (err instanceof CancelledError || o.signal?.aborted) {
          for (let k = i; k < configs.length; k++) record.runs[k].status = 'skipped';
          return finish('cancelled', null);
        }
        finish('failed', (err as Error).message);
        throw err;
      }

      // Workers for this run (a pool that fails to start falls back to in-process, with the reason).
      let plan = planFor(config, td.trainIndices.length);
      let provider: ParallelProvider | undefined;
      if (plan.workers > 1) {
        try {
          pools ??= createPoolKeeper({ signal: o.signal, seed: config.seed });
          provider = await pools.get(config.model, config.model.l2, plan.workers);
        } catch (err) {
          if (o.signal?.aborted) {
            for (let k = i; k < configs.length; k++) record.runs[k].status = 'skipped';
            return finish('cancelled', null);
          }
          plan = { workers: 1, reason: `in-process: the gradient workers did not start (${(err as Error).message})` };
        }
      }
      const runEngine = engineLabel(config.engine === 'auto' || config.engine === configs[0].engine ? engineName : config.engine, plan.workers);
      noteEngine(runEngine);
      o.onWorkerPlan?.({ ...plan, index: i, name: config.name, engine: runEngine });
      if (!record.datasetSummary) {
        record.datasetSummary = summarizeDataset(ds, td);
        save();
        emit({ type: 'dataset-ready', dataset: record.datasetSummary, cacheHit: ds.cacheHit, engine: runEngine });
      }

      const { id: runId, dir } = reserveDir(ws.runs, config.name);
      runDirs[i] = dir;
      record.runs[i] = { ...record.runs[i], runId, status: 'running' };
      save();
      const writer = new RunWriter(dir);
      writer.writeMeta({
        id: runId, name: config.name, experimentId, cell: cells[i] as GridCell, pid: process.pid, hostname: hostname(),
        startedAt: new Date().toISOString(), dataset: record.datasetSummary,
      });
      writer.writeConfig(config);
      emit({ type: 'run-started', experimentId, runId, dir, index: i, total, name: config.name, cell: cells[i], config });

      const runT0 = performance.now();
      let result: RunResult;
      try {
        const outcome = await trainRun({
          config,
          data: td,
          signal: o.signal,
          runDir: dir,
          gradientProvider: provider,
          onEvent: (e: TrainEvent) => {
            writer.event(e);
            emit({ type: 'run-event', runId, index: i, event: e });
            if (e.type === 'step') progress(i, Math.min(1, (e.step + 1) / Math.max(1, config.epochs * e.stepsPerEpoch)));
          },
        });
        // The record names the worker count: 'wasm x2 workers'.
        result = { ...outcome.result, engine: plan.workers > 1 ? engineLabel(outcome.result.engine, plan.workers) : outcome.result.engine };
        try {
          if (outcome.valPredDeg.length === td.valIndices.length) {
            writer.writeValPredictions({
              sampleIndex: td.valIndices,
              timeS: Array.from(td.valIndices, (s) => ds.frames.timestampsS[ds.sampleFrame[s]]),
              predDeg: outcome.valPredDeg,
              trueDeg: outcome.valTrueDeg,
            });
          }
          if (result.status !== 'failed' && result.status !== 'diverged' && result.val) {
            writer.writeModel(await exportLayersModel(outcome.model), targetTransformFile(outcome.target));
          }
        } finally {
          outcome.model.dispose();
        }
      } catch (err) {
        const wall = (performance.now() - runT0) / 1000;
        if (err instanceof CancelledError || o.signal?.aborted) result = emptyResult('cancelled', runEngine, null, wall);
        else if (err instanceof UserError) result = emptyResult('failed', runEngine, err.message, wall);
        else result = emptyResult('failed', runEngine, (err as Error).message ?? String(err), wall);
      }
      writer.finish(result);
      results[i] = result;
      record.runs[i].status = result.status;
      save();
      emit({ type: 'run-finished', runId, index: i, result });
      progress(i + 1, 0, true);
      if (result.status === 'cancelled' || o.signal?.aborted) {
        for (let k = i + 1; k < configs.length; k++) record.runs[k].status = 'skipped';
        return finish('cancelled', null);
      }
    }
    const allFailed = results.every((r) => r?.status === 'failed');
    return finish(allFailed ? 'failed' : 'completed', allFailed ? (results[0]?.error ?? 'every run failed') : null);
  } finally {
    // Any way out (including an unexpected throw) stops the worker threads.
    pools?.dispose();
  }
}

/** Where an experiment's report files go. */
export function experimentReportPaths(expDir: string): { html: string; json: string; csv: string; md: string } {
  return { html: join(expDir, 'report.html'), json: join(expDir, 'comparison.json'), csv: join(expDir, 'comparison.csv'), md: join(expDir, 'comparison.md') };
}

/**
 * Resumes a run folder from its last epoch checkpoint (after a crash, a kill
 * or a cancellation): same config, same data set spec (from its experiment
 * record), same split and seed. Rewrites result.json when done and updates
 * the experiment's record. Throws UserError when the folder cannot be resumed.
 */
export async function resumeRun(
  runDir: string,
  o: { signal?: AbortSignal; onEvent?(e: ExperimentEvent): void; cacheDir?: string; /** Default: the worker count the run had ('wasm x2 workers'), else in-process. */ workers?: WorkersOption } = {},
): Promise<RunResult> {
  const { existsSync, readdirSync } = await import('node:fs');
  const { dirname } = await import('node:path');
  const run = readRun(runDir);
  if (!run.config || !run.meta) throw new UserError(`${runDir} is not a run folder with config.json and run.json`);
  if (run.state === 'running') throw new UserError(`${runDir} is still being written by process ${run.meta.pid}; stop it first`);
  if (run.result && run.result.status !== 'cancelled' && run.result.status !== 'failed') {
    throw new UserError(`${runDir} already finished (${run.result.status}); nothing to resume`);
  }
  const ckDir = join(run.dir, 'checkpoints');
  if (!existsSync(ckDir) || readdirSync(ckDir).length === 0) throw new UserError(`${runDir} has no checkpoint yet (none is written before the first epoch ends); start it again instead`);
  const workspace = dirname(dirname(run.dir));
  const expDir = run.meta.experimentId ? join(workspacePaths(workspace).experiments, run.meta.experimentId) : null;
  const record = expDir ? readExperiment(expDir) : null;
  if (!record) throw new UserError(`the experiment record of ${runDir} is missing, so its data set is unknown`);
  const config = run.config;
  const specs = datasetSpecsOfRecord(record.dataset).map((s) => ({ ...s, input: { width: config.model.input.width, height: config.model.input.height } }));
  const engine = await initEngine(config.engine as EngineName | 'auto');
  // The same worker count as before, so the resumed run repeats the uninterrupted one (gradients are averaged per shard).
  const had = /x(\d+) workers/.exec(run.result?.engine ?? '');
  const plan = planWorkers(o.workers ?? (had ? Number(had[1]) : 1), { engine: engine.name, model: config.model, batchSize: config.batchSize, cores: availableParallelism() });
  const ds = await loadDatasets(specs, { cacheDir: o.cacheDir ?? workspacePaths(workspace).cache, signal: o.signal });
  const writer = new RunWriter(run.dir);
  const index = record.runs.findIndex((r) => r.runId === run.id);
  const pools = plan.workers > 1 ? createPoolKeeper({ signal: o.signal, seed: config.seed }) : null;
  try {
    const provider = pools ? await pools.get(config.model, config.model.l2, plan.workers) : undefined;
    const td = datasetToTrainingData(ds, config.split, config.augment);
    writer.writeMeta({ ...run.meta, pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString() });
    if (expDir && index >= 0) {
      // This process now writes the experiment: if it dies too, the record reads as crashed again.
      record.runs[index].status = 'running';
      writeExperiment(expDir, { ...record, pid: process.pid, hostname: hostname(), status: 'running' });
    }
    const outcome = await trainRun({
      config, data: td, signal: o.signal, runDir: run.dir, resume: true, gradientProvider: provider,
      onEvent: (e: TrainEvent) => {
        writer.event(e);
        o.onEvent?.({ type: 'run-event', runId: run.id, index: Math.max(0, index), event: e });
      },
    });
    try {
      if (outcome.valPredDeg.length === td.valIndices.length) {
        writer.writeValPredictions({
          sampleIndex: td.valIndices, timeS: Array.from(td.valIndices, (s) => ds.frames.timestampsS[ds.sampleFrame[s]]),
          predDeg: outcome.valPredDeg, trueDeg: outcome.valTrueDeg,
        });
      }
      if (outcome.result.status !== 'failed' && outcome.result.status !== 'diverged' && outcome.result.val) {
        writer.writeModel(await exportLayersModel(outcome.model), targetTransformFile(outcome.target));
      }
    } finally {
      outcome.model.dispose();
    }
    const result: RunResult = { ...outcome.result, engine: engineLabel(outcome.result.engine, provider ? plan.workers : 1) };
    writer.finish(result);
    if (expDir && index >= 0) {
      const rec = readExperiment(expDir) ?? record;
      rec.runs[index].status = result.status;
      // Completed only when every cell has a result: a resumed run does not complete the cells that never ran.
      writeExperiment(expDir, { ...rec, status: settledStatus(rec.runs) });
    }
    o.onEvent?.({ type: 'run-finished', runId: run.id, index: Math.max(0, index), result });
    return result;
  } finally {
    pools?.dispose();
    writer.close();
    ds.frames.close();
  }
}
