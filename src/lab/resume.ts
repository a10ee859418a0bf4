/**
 * Finishing what a crash, a kill or a cancellation left undone, through the
 * same session and cell code as a new experiment (lab/run-cell.ts):
 * `resumeRun` continues one run folder from its last epoch checkpoint;
 * `resumeExperiment` finishes every cell of an experiment that has no result
 * (continuing a run from its checkpoint where it has one, else starting the
 * cell afresh). The experiment reads completed only when every cell has a result.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UserError } from '../errors.ts';
import { acquireRunLock } from '../run-lock.ts';
import type { WorkersOption } from '../engine/workers.ts';
import type { RunResult } from '../train/events.ts';
import { datasetSpecsOfRecord } from '../experiments/dataset-record.ts';
import type { GridAxes } from '../experiments/grid.ts';
import { readExperiment, readRun, workspacePaths, type RunRecord } from '../experiments/store.ts';
import type { ExperimentRecord, ExperimentSummary } from '../experiments/types.ts';
import type { RunConfigInput } from '../train/config.ts';
import { planExperiment, runCells } from './experiment.ts';
import type { CellPlan } from './run-cell.ts';
import { openSession, type SessionOptions } from './session.ts';

/** Cell statuses that count as a result (store.ts settledStatus). */
export const FINAL: ReadonlySet<string> = new Set(['completed', 'stopped-early', 'diverged', 'failed']);

const hasCheckpoint = (runDir: string): boolean => {
  const ck = join(runDir, 'checkpoints');
  return existsSync(ck) && readdirSync(ck).length > 0;
};

/** The worker count a run trained with (run.json), so its resume repeats the uninterrupted run (gradients are averaged per shard). */
const workersOf = (run: RunRecord, asked: WorkersOption | undefined): WorkersOption => asked ?? run.meta?.workers ?? 1;

/** Opens a session over an experiment read back from disk, for the cells it has not finished. */
async function reopen(expDir: string, record: ExperimentRecord, o: SessionOptions) {
  const configs = planExperiment(record.base as RunConfigInput, record.axes as GridAxes);
  const specs = datasetSpecsOfRecord(record.dataset);
  return openSession(o, { experimentId: record.id, dir: expDir, record: { ...record, runs: record.runs.map((r) => ({ ...r })) }, configs, specs, priorWallTimeS: record.wallTimeS ?? 0 });
}

/**
 * Resumes a run folder from its last epoch checkpoint (after a crash, a kill
 * or a cancellation): same config, same data set spec (from its experiment
 * record), same split and seed. Rewrites result.json when done and updates
 * the experiment's record. Throws UserError when the folder cannot be resumed.
 */
export async function resumeRun(
  runDir: string,
  o: Omit<SessionOptions, 'workspace' | 'onWorkerPlan'> & { /** Default: the worker count the run had (run.json), else in-process. */ workers?: WorkersOption } = {},
): Promise<RunResult> {
  const run = readRun(runDir);
  if (!run.config || !run.meta) throw new UserError(`${runDir} is not a run folder with config.json and run.json`);
  if (run.state === 'running') throw new UserError(`${runDir} is still being written by process ${run.meta.pid}; stop it first`);
  if (run.result && run.result.status !== 'cancelled' && run.result.status !== 'failed') {
    throw new UserError(`${runDir} already finished (${run.result.status}); nothing to resume`);
  }
  if (!hasCheckpoint(run.dir)) throw new UserError(`${runDir} has no checkpoint yet (none is written before the first epoch ends); start it again instead`);
  const workspace = dirname(dirname(run.dir));
  const expDir = run.meta.experimentId ? join(workspacePaths(workspace).experiments, run.meta.experimentId) : null;
  const record = expDir ? readExperiment(expDir) : null;
  if (!expDir || !record) throw new UserError(`the experiment record of ${runDir} is missing, so its data set is unknown`);
  const index = record.runs.findIndex((r) => r.runId === run.id);
  if (index < 0) throw new UserError(`${runDir} is not a run of its experiment ${record.id}`);
  // One writer per run folder: a second `train --resume` of the same run refuses instead of duplicating its epochs and logs.
  const lock = acquireRunLock(run.dir);
  let summary: ExperimentSummary;
  try {
    const s = await reopen(expDir, record, { ...o, workspace });
    summary = await runCells(s, [{ index, plan: () => ({ index, config: run.config!, workers: workersOf(run, o.workers), resume: run }) }]);
  } finally {
    lock.release();
  }
  const result = summary.runs[index].result;
  if (!result) throw new UserError(`${runDir} was cancelled before it resumed`);
  return result;
}

/** An experiment folder, or an experiment id in the workspace. */
export function experimentDir(dirOrId: string, workspace: string): string {
  if (existsSync(join(dirOrId, 'experiment.json'))) return dirOrId;
  const inWs = join(workspacePaths(workspace).experiments, dirOrId);
  if (/^[A-Za-z0-9._-]+$/.test(dirOrId) && existsSync(join(inWs, 'experiment.json'))) return inWs;
  throw new UserError(`${dirOrId} is neither an experiment folder (with experiment.json) nor an experiment id in ${workspacePaths(workspace).experiments}`);
}

/**
 * Finishes every cell of an experiment that has no result, in grid order,
 * then settles its status. Cells that already have one are left as they are.
 * The workspace is the experiment folder's own (…/experiments/<id>).
 */
export async function resumeExperiment(expDir: string, o: Omit<SessionOptions, 'workspace'>): Promise<{ summary: ExperimentSummary; resumed: number }> {
  const record = readExperiment(expDir);
  if (!record) throw new UserError(`${expDir} has no readable experiment.json`);
  if (record.status === 'running') throw new UserError(`experiment ${record.id} is still being written by process ${record.pid}; stop it first`);
  const workspace = dirname(dirname(expDir));
  const todo: { index: number; plan(): CellPlan }[] = [];
  const s = await reopen(expDir, record, { ...o, workspace });
  record.runs.forEach((r, index) => {
    if (FINAL.has(r.status)) {
      const dir = r.runId ? join(workspacePaths(workspace).runs, r.runId) : null;
      if (dir) s.runDirs[index] = dir;
      s.results[index] = dir ? readRun(dir).result : null;
      return;
    }
    todo.push({
      index,
      plan: () => {
        const run = r.runId ? readRun(join(workspacePaths(workspace).runs, r.runId)) : null;
        if (run?.state === 'running') throw new UserError(`${run.dir} is still being written by process ${run.meta?.pid}; stop it first`);
        const resumable = run?.config && run.meta && hasCheckpoint(run.dir) && run.result?.status !== 'completed';
        if (resumable) return { index, config: run.config!, workers: workersOf(run, o.workers), resume: run };
        return { index, config: s.configs[index], workers: o.workers ?? 'auto' };
      },
    });
  });
  const summary = await runCells(s, todo);
  return { summary, resumed: todo.length };
}
