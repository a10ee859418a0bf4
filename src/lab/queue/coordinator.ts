/**
 * Runs an experiment's cells on queue workers (BullMQ on Redis) instead of
 * in this process: the same session, record and events as a local run
 * (lab/experiment.ts runCells), but every cell is a job (idempotent id:
 * experiment + cell index, so a cell is never queued twice) and any number
 * of `steerlab worker` processes on any machines train them at once.
 *
 * The coordinator reserves each run folder in its workspace and marks it;
 * workers that see the folder (a shared workspace) write there, the others
 * return the folder's files, written here on completion. A cell is recorded
 * exactly once: on its job's completion or failure. Cancelling removes the
 * cells still waiting and asks running ones to stop.
 */
import { Queue, QueueEvents, Relay } from 'bullmq';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';
import { hostname } from 'node:os';
import { datasetSpecsOfRecord } from '../../experiments/dataset-record.ts';
import { readRun, reserveDir, RunWriter, workspacePaths, writeJsonAtomic } from '../../experiments/store.ts';
import type { ExperimentSummary } from '../../experiments/types.ts';
import type { GridCell } from '../../experiments/grid.ts';
import type { RunResult } from '../../train/events.ts';
import { endStatus, type Session } from '../session.ts';
import type { CellPlan } from '../run-cell.ts';
import { redisOptions } from './connection.ts';
import { fingerprintData } from './fingerprint.ts';
import { CANCEL_TOPIC, CellJobResult, cellJobId, LAB_VERSION, QUEUE_NAME, type CellJob, type CellProgress } from './job.ts';
import { JOB_MARKER } from './worker.ts';

interface Pending {
  index: number;
  jobId: string;
  runId: string;
  dir: string;
  started: boolean;
}

/** Reserves and marks a cell's run folder (run.json, config.json, the job marker) before its job is queued. */
function reserveCell(s: Session, p: CellPlan, jobId: string): Pending & { meta: Record<string, unknown> } {
  const { id: runId, dir } = p.resume ? { id: p.resume.id, dir: p.resume.dir } : reserveDir(workspacePaths(s.o.workspace).runs, p.config.name);
  const meta = p.resume?.meta ?? {
    id: runId, name: p.config.name, experimentId: s.experimentId, cell: s.record.runs[p.index].cell as GridCell,
    pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString(), dataset: s.record.datasetSummary,
  };
  const w = new RunWriter(dir);
  if (!p.resume) {
    w.writeMeta(meta);
    w.writeConfig(p.config);
  }
  w.close();
  writeJsonAtomic(join(dir, JOB_MARKER), { jobId, experimentId: s.experimentId, index: p.index });
  s.runDirs[p.index] = dir;
  s.record.runs[p.index] = { ...s.record.runs[p.index], runId, status: 'pending' };
  return { index: p.index, jobId, runId, dir, started: false, meta: meta as Record<string, unknown> };
}

/** Writes a run folder's files returned by a worker that could not see it (paths stay inside the folder). */
function writeReturnedFiles(dir: string, files: Record<string, string>): void {
  for (const [rel, b64] of Object.entries(files)) {
    const path = normalize(join(dir, rel));
    if (!path.startsWith(normalize(dir) + sep)) continue; // a worker never writes outside the run folder
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, Buffer.from(b64, 'base64'));
  }
}

function failedResult(error: string, wallTimeS = 0): RunResult {
  return { status: 'failed', engine: 'queue', epochs: 0, steps: 0, wallTimeS, paramCount: 0, bestEpoch: null, selection: 'last-epoch', val: null, findings: [], error };
}

/** Records a cell's end once: from its folder's result (written by the worker) or as failed with the worker's reason. */
function settle(s: Session, c: Pending, outcome: { result?: CellJobResult; failedReason?: string }): RunResult {
  if (outcome.result?.files) writeReturnedFiles(c.dir, outcome.result.files);
  const run = readRun(c.dir);
  const result = outcome.failedReason !== undefined ? (run.result?.status === 'cancelled' ? run.result : failedResult(outcome.failedReason)) : (run.result ?? failedResult('the worker returned no result.json'));
  if (outcome.failedReason !== undefined && result.status === 'failed') new RunWriter(c.dir).finish(result);
  if (!s.record.datasetSummary && run.meta?.dataset) s.record.datasetSummary = run.meta.dataset;
  if (result.engine !== 'queue') s.noteEngine(result.engine);
  s.results[c.index] = result;
  s.record.runs[c.index].status = result.status;
  s.save();
  if (!c.started) s.emit({ type: 'run-started', experimentId: s.experimentId, runId: c.runId, dir: c.dir, index: c.index, total: s.configs.length, name: s.configs[c.index].name, cell: s.record.runs[c.index].cell, config: s.configs[c.index] });
  s.emit({ type: 'run-finished', runId: c.runId, index: c.index, result });
  return result;
}

/** Re-emits a worker's progress as this experiment's events (with the coordinator's run id and folder). */
function relayProgress(s: Session, c: Pending, p: CellProgress): void {
  const e = p.event as { type?: string; event?: unknown; done?: number; total?: number; etaS?: number | null };
  if (!c.started && (e.type === 'run-started' || e.type === 'run-event')) {
    c.started = true;
    s.record.runs[c.index].status = 'running';
    s.save();
    s.emit({ type: 'run-started', experimentId: s.experimentId, runId: c.runId, dir: c.dir, index: c.index, total: s.configs.length, name: s.configs[c.index].name, cell: s.record.runs[c.index].cell, config: s.configs[c.index] });
  }
  if (e.type === 'run-event') s.emit({ type: 'run-event', runId: c.runId, index: c.index, event: e.event as never });
  if (e.type === 'dataset-progress') s.emit({ type: 'dataset-progress', done: e.done ?? 0, total: e.total ?? 0, etaS: e.etaS ?? null });
}

/**
 * Queues the given cells, follows them to their end, and settles the
 * experiment like runCells. Cancelling (the session's signal) removes waiting
 * jobs and asks the workers running this experiment's cells to stop.
 */
export async function runCellsOnQueue(s: Session, todo: { index: number; plan(): CellPlan }[], url: string): Promise<ExperimentSummary> {
  const connection = redisOptions(url);
  const queue = new Queue(QUEUE_NAME, { connection });
  const events = new QueueEvents(QUEUE_NAME, { connection });
  const relay = new Relay({ connection });
  // While Redis is down (a restart) the clients reconnect on their own; their errors are not the experiment's.
  for (const c of [queue, events, relay] as { on?(e: 'error', f: (err: Error) => void): unknown }[]) c.on?.('error', () => undefined);
  try {
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
    const specs = datasetSpecsOfRecord(s.record.dataset);
    const fingerprint = await fingerprintData(specs);
    const pending = new Map<string, Pending>();
    const jobs = todo.map((t) => {
      const p = t.plan();
      const jobId = cellJobId(s.experimentId, p.index);
      const c = reserveCell(s, p, jobId);
      pending.set(jobId, c);
      const data: CellJob = {
        kind: 'cell', labVersion: LAB_VERSION, experimentId: s.experimentId, index: p.index, total: s.configs.length, name: p.config.name,
        config: p.config as unknown as Record<string, unknown>, dataset: specs as unknown as Record<string, unknown>[], fingerprint,
        workspace: s.o.workspace, runDir: c.dir, runMeta: c.meta, workers: p.workers,
      };
      return { name: 'cell', data, opts: { jobId, attempts: 1, removeOnComplete: { age: 7 * 24 * 3600 }, removeOnFail: { age: 7 * 24 * 3600 } } };
    });
    s.save();
    await followJobs(s, { queue, events, relay, pending, add: () => queue.addBulk(jobs) });
    if (s.o.signal?.aborted) {
      s.skip([...pending.values()].filter((c) => !s.results[c.index]).map((c) => c.index));
      return s.finish('cancelled', null);
    }
    const { status, error } = endStatus(s);
    return s.finish(status, error);
  } finally {
    s.release();
    await Promise.allSettled([events.close(), queue.close(), relay.close()]);
  }
}

/** Waits until every pending job has completed or failed (or, once cancelled, until the running ones stopped). */
async function followJobs(
  s: Session,
  x: { queue: Queue; events: QueueEvents; relay: Relay; pending: Map<string, Pending>; add(): Promise<unknown> },
): Promise<void> {
  const open = new Set(x.pending.keys());
  let wake: () => void = () => {};
  const onDone = (jobId: string, outcome: { result?: CellJobResult; failedReason?: string; removed?: true }): void => {
    const c = x.pending.get(jobId);
    if (!c || !open.has(jobId)) return;
    open.delete(jobId);
    if (!outcome.removed) settle(s, c, outcome); // a cell removed from the queue before it started is skipped
    s.progress(x.pending.size - open.size, 0, true);
    wake();
  };
  x.events.on('progress', ({ jobId, data }) => {
    const c = x.pending.get(jobId);
    if (c && open.has(jobId) && typeof data === 'object') relayProgress(s, c, data as CellProgress);
  });
  x.events.on('completed', ({ jobId, returnvalue }) => {
    const r = CellJobResult.safeParse(typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue);
    onDone(jobId, r.success ? { result: r.data } : { failedReason: 'the worker returned an unreadable result' });
  });
  x.events.on('failed', ({ jobId, failedReason }) => onDone(jobId, { failedReason }));
  await x.add();
  const onAbort = (): void => void cancelJobs(s, x).finally(() => wake());
  s.o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    while (open.size > 0) {
      // Events can be missed (a Redis restart); every few seconds the jobs' own states are read back.
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 3000);
      });
      for (const jobId of [...open]) {
        let job;
        let state: string;
        try {
          job = await x.queue.getJob(jobId);
          state = job ? await job.getState() : 'missing';
        } catch {
          continue; // Redis unreachable: try again on the next round
        }
        if (state === 'completed') {
          // The job can complete between getJob and getState: its copy then has no return value yet, and the
          // next round (or the 'completed' event) reads it.
          if (job!.returnvalue === null || job!.returnvalue === undefined) continue;
          const r = CellJobResult.safeParse(job!.returnvalue);
          onDone(jobId, r.success ? { result: r.data } : { failedReason: 'the worker returned an unreadable result' });
        } else if (state === 'failed') onDone(jobId, { failedReason: job!.failedReason });
        else if (state === 'missing' && s.o.signal?.aborted) onDone(jobId, { removed: true });
        else if (state === 'missing') onDone(jobId, { failedReason: 'the job disappeared from the queue (removed by hand, or Redis lost its data)' });
      }
    }
  } finally {
    s.o.signal?.removeEventListener('abort', onAbort);
  }
}

/** Removes this experiment's waiting jobs and asks workers to stop its running ones. */
async function cancelJobs(s: Session, x: { queue: Queue; relay: Relay; pending: Map<string, Pending> }): Promise<void> {
  for (const c of x.pending.values()) {
    if (s.results[c.index]) continue;
    const job = await x.queue.getJob(c.jobId).catch(() => null);
    const state = job ? await job.getState().catch(() => 'unknown') : 'missing';
    if (job && (state === 'waiting' || state === 'delayed' || state === 'prioritized')) await job.remove().catch(() => undefined);
  }
  await x.relay.publish(CANCEL_TOPIC, { experimentId: s.experimentId }).catch(() => undefined);
}
