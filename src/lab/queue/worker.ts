/**
 * A queue worker: takes cells from BullMQ and trains each with the same code
 * as a local run (lab/run-cell.ts through a session that records nothing of
 * the experiment: the coordinator does). Progress and per-epoch metrics go
 * back as job progress. Refuses, with the reason the coordinator shows, a
 * job from another lab version or one whose data differs here.
 *
 * Where the run is written: straight into the coordinator's run folder when
 * this machine sees it (a shared workspace: the folder exists and holds this
 * job's marker), so a cell whose worker died resumes from the folder's last
 * checkpoint on the next worker; otherwise into this machine's workspace,
 * and the folder's files go back in the job result.
 */
import { DelayedError, Relay, UnrecoverableError, Worker, type Job } from 'bullmq';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join, relative } from 'node:path';
import { RunConfig } from '../../train/config.ts';
import { DatasetSpec } from '../../video/types.ts';
import type { ExperimentEvent } from '../../experiments/events.ts';
import { readRun, RunWriter, workspacePaths } from '../../experiments/store.ts';
import { RunMeta, type ExperimentRecord } from '../../experiments/types.ts';
import { runCell } from '../run-cell.ts';
import { openSession } from '../session.ts';
import { redisOptions } from './connection.ts';
import { fingerprintData, fingerprintMismatch } from './fingerprint.ts';
import { CANCEL_TOPIC, CellJob, cellJobPrefix, LAB_VERSION, QUEUE_NAME, type CellJobResult, type CellProgress } from './job.ts';

export interface QueueWorkerOptions {
  url: string;
  /** This machine's workspace (frame cache; runs when the coordinator's folder is not visible here). */
  workspace: string;
  /** Cells trained at once on this machine (default 1: one cell already uses every core). */
  concurrency?: number;
  /** Seconds without a lock renewal after which BullMQ hands a job to another worker (default 30). */
  stallTimeoutS?: number;
  /** Engine for cells whose config says 'auto' (default: the lab's own choice). */
  engine?: string;
  /** Called with one line per job start, end or refusal. */
  log?(line: string): void;
}

export interface QueueWorker {
  readonly name: string;
  /** Stops taking jobs; running cells go back to the queue (resumed from their last checkpoint elsewhere). */
  close(): Promise<void>;
}

/** The marker a coordinator writes into a run folder it reserved: a worker that sees it writes there. */
export const JOB_MARKER = 'queue-job.json';

function sharedFolder(job: CellJob, jobId: string): boolean {
  try {
    const m = JSON.parse(readFileSync(join(job.runDir, JOB_MARKER), 'utf8')) as { jobId?: string };
    return m.jobId === jobId;
  } catch {
    return false;
  }
}

/** Every file of a run folder except checkpoints, base64 (what a coordinator without the folder needs). */
function folderFiles(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'checkpoints') walk(p);
      } else if (e.isFile() && !e.name.endsWith('.tmp') && e.name !== 'run.lock') out[relative(dir, p)] = readFileSync(p).toString('base64');
    }
  };
  walk(dir);
  return out;
}

/** Checks a job before any work: its shape, the lab version, the data. Throws UnrecoverableError with the reason. */
async function admit(raw: unknown, name: string): Promise<{ job: CellJob; config: RunConfig; specs: DatasetSpec[] }> {
  const parsed = CellJob.safeParse(raw);
  if (!parsed.success) throw new UnrecoverableError(`refused by ${name}: not a Steering Lab cell job (${parsed.error.issues[0]?.message ?? 'bad shape'})`);
  const job = parsed.data;
  if (job.labVersion !== LAB_VERSION) {
    throw new UnrecoverableError(`refused by ${name}: it runs Steering Lab ${LAB_VERSION}, the job was planned by ${job.labVersion}; install the same version on every machine`);
  }
  const specs = job.dataset.map((s) => DatasetSpec.parse(s));
  let fp;
  try {
    fp = await fingerprintData(specs);
  } catch (err) {
    throw new UnrecoverableError(`refused by ${name}: ${(err as Error).message}; every worker needs the data set at the same path (a shared folder)`);
  }
  const why = fingerprintMismatch(job.fingerprint, fp);
  if (why) throw new UnrecoverableError(`refused by ${name}: ${why}; every worker needs the same files`);
  return { job, config: RunConfig.parse(job.config), specs };
}

/** The config this machine trains: the job's, with this worker's --engine where the job says auto. */
function localConfig(config: RunConfig, engine: string | undefined): RunConfig {
  return engine && config.engine === 'auto' ? RunConfig.parse({ ...config, engine }) : config;
}

/** Sends a cell's events as job progress: every epoch, finding and run start/end; steps and diagnostics at most once a second. */
function progressForwarder(job: Job, name: string): (e: ExperimentEvent) => void {
  let lastStep = 0;
  let lastDiag = 0;
  return (e) => {
    if (e.type !== 'run-event' && e.type !== 'dataset-progress' && e.type !== 'run-started') return;
    const now = performance.now();
    if (e.type === 'run-event' && e.event.type === 'step') {
      if (now - lastStep < 1000) return;
      lastStep = now;
    }
    if (e.type === 'run-event' && e.event.type === 'diagnostics') {
      if (now - lastDiag < 1000) return;
      lastDiag = now;
    }
    if (e.type === 'dataset-progress' && e.done !== e.total && now - lastStep < 1000) return;
    const p: CellProgress = { worker: name, event: e as unknown as Record<string, unknown> };
    job.updateProgress(p).catch(() => undefined); // progress is best effort; the result is what counts
  };
}

/** Prepares the run folder this worker writes: the shared one, or a local copy of its meta and config. */
function runFolder(job: CellJob, jobId: string, config: RunConfig, workspace: string): { dir: string; shared: boolean } {
  if (sharedFolder(job, jobId)) return { dir: job.runDir, shared: true };
  const dir = join(workspacePaths(workspace).runs, basename(job.runDir));
  if (!existsSync(join(dir, 'run.json'))) {
    mkdirSync(dir, { recursive: true });
    const w = new RunWriter(dir);
    w.writeMeta(RunMeta.parse(job.runMeta));
    w.writeConfig(config);
    w.close();
  }
  return { dir, shared: false };
}

async function trainJob(bull: Job, signal: AbortSignal, o: QueueWorkerOptions, name: string, closing: () => boolean): Promise<CellJobResult> {
  const admitted = await admit(bull.data, name);
  const { job, specs } = admitted;
  const config = localConfig(admitted.config, o.engine);
  const jobId = String(bull.id);
  const folder = runFolder(job, jobId, config, o.workspace);
  o.log?.(`${jobId}: ${job.name} (${job.index + 1}/${job.total}) -> ${folder.dir}${folder.shared ? '' : ' (local; files go back with the result)'}`);
  const record: ExperimentRecord = {
    id: job.experimentId, name: job.experimentId, createdAt: new Date().toISOString(), pid: process.pid, hostname: hostname(), status: 'running',
    error: null, engine: null, dataset: {}, datasetSummary: null, base: {}, axes: {},
    runs: [{ runId: null, name: job.name, cell: (job.runMeta as { cell?: Record<string, unknown> }).cell ?? {}, status: 'pending' }], wallTimeS: null,
  };
  const s = await openSession(
    { workspace: o.workspace, signal, onEvent: progressForwarder(bull, name), workers: job.workers },
    { experimentId: job.experimentId, dir: folder.dir, record, configs: [config], specs, persist: false },
  );
  try {
    const out = await runCell(s, { index: 0, config, workers: job.workers, resume: readRun(folder.dir) });
    if (closing()) {
      // This worker is shutting down: the cell goes back to the queue and another worker resumes it.
      await bull.moveToDelayed(Date.now(), bull.token);
      throw new DelayedError();
    }
    if (out === 'cancelled' || out.result.status === 'cancelled') throw new UnrecoverableError(`cancelled on ${name}`);
  } finally {
    s.release();
  }
  o.log?.(`${jobId}: done`);
  return { worker: name, shared: folder.shared, files: folder.shared ? null : folderFiles(folder.dir) };
}

/** Starts a worker on the queue at o.url; it runs until close(). */
export async function startQueueWorker(o: QueueWorkerOptions): Promise<QueueWorker> {
  const connection = redisOptions(o.url);
  const name = `${hostname()}:${process.pid}`;
  let closing = false;
  const lockDuration = (o.stallTimeoutS ?? 30) * 1000;
  /** Jobs this process is training (to cancel an experiment's cells on request). */
  const active = new Set<string>();
  const activeIds = (): string[] => [...active];
  const processJob = async (job: Job, signal: AbortSignal | undefined): Promise<CellJobResult> => {
    active.add(String(job.id));
    try {
      return await trainJob(job, signal ?? new AbortController().signal, o, name, () => closing);
    } finally {
      active.delete(String(job.id));
    }
  };
  const worker = new Worker(QUEUE_NAME, (job, _token, signal) => processJob(job, signal), {
    connection, concurrency: o.concurrency ?? 1, lockDuration, stalledInterval: lockDuration, maxStalledCount: 2, autorun: true, name,
  });
  worker.on('failed', (job, err) => {
    if (!(err instanceof DelayedError)) o.log?.(`${job?.id ?? '?'}: ${err.message}`);
  });
  worker.on('error', (err) => o.log?.(`queue: ${err.message}`));
  const relay = new Relay({ connection });
  await relay.subscribe(CANCEL_TOPIC, (m) => {
    const { experimentId } = (m as { data?: { experimentId?: string } }).data ?? {};
    if (!experimentId) return;
    // Job ids start with the experiment id (job.ts cellJobId): cancel this experiment's cells running here.
    for (const id of activeIds()) {
      if (id.startsWith(cellJobPrefix(experimentId)) && worker.cancelJob(id, 'cancelled by the coordinator')) o.log?.(`${id}: cancelled by the coordinator`);
    }
  });
  await worker.waitUntilReady();
  return {
    name,
    async close() {
      closing = true;
      worker.cancelAllJobs('worker shutting down');
      await worker.close();
      await relay.close();
    },
  };
}
