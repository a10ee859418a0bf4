/**
 * One cell of an experiment: its data, its worker threads, its run folder,
 * training (fresh, or resumed from the folder's last checkpoint), and its
 * result in the run folder and the experiment record. Used for every new
 * cell and for every resume, so a run is recorded one way.
 */
import { hostname } from 'node:os';
import { CancelledError } from '../errors.ts';
import type { ParallelProvider } from '../engine/parallel.ts';
import { createPoolKeeper } from '../engine/pool.ts';
import { engineLabel, type WorkerPlan, type WorkersOption } from '../engine/workers.ts';
import { exportLayersModel } from '../model/export.ts';
import type { RunConfig } from '../train/config.ts';
import type { RunResult, TrainEvent } from '../train/events.ts';
import { trainRun } from '../train/trainer.ts';
import type { Dataset } from '../video/types.ts';
import { summarizeDataset } from '../experiments/dataset-record.ts';
import type { GridCell } from '../experiments/grid.ts';
import { reserveDir, RunWriter, targetTransformFile, workspacePaths, type RunRecord } from '../experiments/store.ts';
import type { DatasetTrainingData } from '../experiments/training-data.ts';
import type { Session } from './session.ts';
import { evaluateAutonomy } from './autonomy-eval.ts';

function emptyResult(status: RunResult['status'], engine: string, error: string | null, wallTimeS: number): RunResult {
  return { status, engine, epochs: 0, steps: 0, wallTimeS, paramCount: 0, bestEpoch: null, selection: 'last-epoch', val: null, findings: [], error };
}

/** How to run a cell: fresh in a new run folder, or resumed in the folder it had. */
export interface CellPlan {
  index: number;
  config: RunConfig;
  /** A count or 'auto' (see engine/workers.ts); a resume passes the count the run had. */
  workers: WorkersOption;
  /** The run folder to continue from its last checkpoint. */
  resume?: RunRecord;
}

/** 'cancelled' when the experiment was cancelled before the cell started training. */
export type CellOutcome = { result: RunResult } | 'cancelled';

/** Workers for this run; a pool that fails to start falls back to in-process, with the reason. */
async function cellWorkers(s: Session, p: CellPlan, trainSize: number): Promise<{ plan: WorkerPlan; provider?: ParallelProvider } | 'cancelled'> {
  let plan = s.planFor(p.config, trainSize, p.workers);
  if (plan.workers <= 1) return { plan };
  try {
    s.pools ??= createPoolKeeper({ signal: s.o.signal, seed: p.config.seed });
    return { plan, provider: await s.pools.get(p.config.model, p.config.model.l2, plan.workers) };
  } catch (err) {
    if (s.o.signal?.aborted) return 'cancelled';
    plan = { workers: 1, reason: `in-process: the gradient workers did not start (${(err as Error).message})` };
    return { plan };
  }
}

/** The run folder: a new one with its meta and config, or the resumed one with this process as its writer. */
function openRunFolder(s: Session, p: CellPlan, workers: number): { runId: string; dir: string; writer: RunWriter } {
  const i = p.index;
  const { id: runId, dir } = p.resume ? { id: p.resume.id, dir: p.resume.dir } : reserveDir(workspacePaths(s.o.workspace).runs, p.config.name);
  s.runDirs[i] = dir;
  s.record.runs[i] = { ...s.record.runs[i], runId, status: 'running' };
  s.save();
  const writer = new RunWriter(dir);
  const meta = p.resume?.meta;
  const common = { pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString(), workers };
  if (meta) writer.writeMeta({ ...meta, ...common });
  else {
    writer.writeMeta({ id: runId, name: p.config.name, experimentId: s.experimentId, cell: s.record.runs[i].cell as GridCell, ...common, dataset: s.record.datasetSummary });
    writer.writeConfig(p.config);
  }
  return { runId, dir, writer };
}

/** Trains the cell and writes its validation predictions and model; a throw becomes a cancelled or failed result. */
async function trainCell(
  s: Session, p: CellPlan, run: { runId: string; dir: string; writer: RunWriter },
  data: { ds: Dataset; td: DatasetTrainingData }, workers: { plan: WorkerPlan; provider?: ParallelProvider; label: string },
): Promise<RunResult> {
  const { config, index: i } = p;
  const { ds, td } = data;
  const t0 = performance.now();
  try {
    const outcome = await trainRun({
      config, data: td, signal: s.o.signal, runDir: run.dir, resume: Boolean(p.resume), gradientProvider: workers.provider,
      onEvent: (e: TrainEvent) => {
        run.writer.event(e);
        s.emit({ type: 'run-event', runId: run.runId, index: i, event: e });
        if (e.type === 'step') s.progress(i, Math.min(1, (e.step + 1) / Math.max(1, config.epochs * e.stepsPerEpoch)));
      },
    });
    // The record names the worker count: 'wasm x2 workers'.
    let result = { ...outcome.result, engine: workers.plan.workers > 1 ? engineLabel(outcome.result.engine, workers.plan.workers) : outcome.result.engine };
    try {
      if (outcome.valPredDeg.length === td.valIndices.length) {
        const timeS = Array.from(td.valIndices, (k) => ds.frames.timestampsS[ds.sampleFrame[k]]);
        run.writer.writeValPredictions({ sampleIndex: td.valIndices, timeS, predDeg: outcome.valPredDeg, trueDeg: outcome.valTrueDeg });
        // The closed-loop estimate on the same frames, recorded with the validation metrics it sits beside.
        if (result.val) {
          const autonomy = evaluateAutonomy(ds, { valIndices: td.valIndices, timeS, predDeg: outcome.valPredDeg, trueDeg: outcome.valTrueDeg, trainAnglesDeg: td.train.anglesDeg }, config.autonomy);
          result = { ...result, val: { ...result.val, autonomy } };
        }
      }
      if (result.status !== 'failed' && result.status !== 'diverged' && result.val) {
        run.writer.writeModel(await exportLayersModel(outcome.model), targetTransformFile(outcome.target));
      }
    } finally {
      outcome.model.dispose();
    }
    return result;
  } catch (err) {
    const wall = (performance.now() - t0) / 1000;
    if (err instanceof CancelledError || s.o.signal?.aborted) return emptyResult('cancelled', workers.label, null, wall);
    return emptyResult('failed', workers.label, (err as Error).message ?? String(err), wall);
  }
}

/**
 * Runs one cell and records it. Returns 'cancelled' when the experiment was
 * cancelled before training began; throws when its data cannot be loaded.
 */
export async function runCell(s: Session, p: CellPlan): Promise<CellOutcome> {
  const { config, index: i } = p;
  let ds: Dataset;
  let td: DatasetTrainingData;
  try {
    ds = await s.data.load(config);
    td = s.data.training(ds, config);
  } catch (err) {
    if (err instanceof CancelledError || s.o.signal?.aborted) return 'cancelled';
    throw err;
  }
  const w = await cellWorkers(s, p, td.trainIndices.length);
  if (w === 'cancelled') return 'cancelled';
  const label = engineLabel(s.engineOf(config), w.plan.workers);
  s.noteEngine(label);
  s.o.onWorkerPlan?.({ ...w.plan, index: i, name: config.name, engine: label });
  if (!s.record.datasetSummary) {
    s.record.datasetSummary = summarizeDataset(ds, td);
    s.save();
    s.emit({ type: 'dataset-ready', dataset: s.record.datasetSummary, cacheHit: ds.cacheHit, engine: label });
  }
  const run = openRunFolder(s, p, w.plan.workers);
  s.emit({ type: 'run-started', experimentId: s.experimentId, runId: run.runId, dir: run.dir, index: i, total: s.configs.length, name: config.name, cell: s.record.runs[i].cell, config });
  let result: RunResult;
  try {
    result = await trainCell(s, p, run, { ds, td }, { ...w, label });
    run.writer.finish(result);
  } finally {
    run.writer.close();
  }
  s.results[i] = result;
  s.record.runs[i].status = result.status;
  s.save();
  s.emit({ type: 'run-finished', runId: run.runId, index: i, result });
  s.progress(i + 1, 0, true);
  return { result };
}
