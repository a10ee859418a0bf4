/**
 * The workspace on disk:
 *
 *   <workspace>/runs/<id>/run.json            who is writing it (pid, host), grid cell, data set
 *                         config.json         the full RunConfig
 *                         metrics.jsonl       step and epoch events, one JSON per line
 *                         diagnostics.jsonl   per-layer diagnostics snapshots
 *                         findings.jsonl      findings as they were raised
 *                         val-predictions.json  predicted vs true degrees on validation samples
 *                         model/              model.json + weights.bin (tfjs Layers) + target-transform.json
 *                         checkpoints/        the trainer's per-epoch checkpoints
 *                         result.json         written LAST, atomically: its presence means "finished"
 *   <workspace>/experiments/<id>/experiment.json  the grid and its runs, rewritten after each run
 *   <workspace>/cache/                        decoded frame caches
 *
 * Whole-file writes go to a temporary file in the same folder and are then
 * renamed over the target: rename is atomic on POSIX, so a reader never sees
 * half a file and a crash never leaves a run that reads as complete.
 */
import {
  closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { removeStaleTemps } from '../atomic-temps.ts';
import { explainWriteError } from '../disk-space.ts';
import { RunConfig } from '../train/config.ts';
import { RunResult, type TrainEvent } from '../train/events.ts';
import { ExperimentRecord, RunMeta, type RunState } from './types.ts';

/** Folders of a workspace. */
export function workspacePaths(workspace: string): { root: string; runs: string; experiments: string; cache: string; data: string } {
  const root = resolve(workspace);
  return { root, runs: join(root, 'runs'), experiments: join(root, 'experiments'), cache: join(root, 'cache'), data: join(root, 'data') };
}

/** Writes a file atomically: temp file in the same folder, fsync, rename. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    try { unlinkSync(tmp); } catch { /* already gone */ }
    // A full disk names the file and the space it needed, not `internal error: ENOSPC`.
    throw explainWriteError(err, path, typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength);
  }
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

/** Reads a JSON file; null when missing or unparsable (a reader must never crash on a half-written workspace). */
export function readJsonOrNull(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

/** Reads a JSON-lines file, skipping lines that do not parse (e.g. the last line of a killed run). */
export function readJsonl(path: string): unknown[] {
  if (!existsSync(path)) return [];
  const out: unknown[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      /* a truncated line from a crash */
    }
  }
  return out;
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 48) || 'run';
}

function stamp(d = new Date()): string {
  return d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/** Creates a fresh folder `<parent>/<timestamp>-<slug>` (suffix -2, -3 ... on collision); mkdir is the lock. */
export function reserveDir(parent: string, name: string): { id: string; dir: string } {
  mkdirSync(parent, { recursive: true });
  const base = `${stamp()}-${slug(name)}`;
  for (let i = 1; i < 10_000; i++) {
    const id = i === 1 ? base : `${base}-${i}`;
    const dir = join(parent, id);
    try {
      mkdirSync(dir);
      return { id, dir };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  throw new Error(`could not create a new folder under ${parent}`);
}

/** True when the process that wrote a record may still be running (only checkable on the same host). */
export function isWriterAlive(pid: number, host: string): boolean {
  if (host !== hostname()) return true;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** How to turn the model's output into steering degrees, written beside the exported model. */
export interface TargetTransformFile {
  kind: string;
  params: Record<string, number>;
  /** degrees = scale * output + offset (every target transform here is affine). */
  degrees: { scale: number; offset: number };
  formula: string;
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

/** Writes one run's files as it goes; result.json comes last via finish(). */
export class RunWriter {
  readonly dir: string;
  #fds = new Map<string, number>();

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(join(dir, 'checkpoints'), { recursive: true });
  }

  writeMeta(meta: RunMeta): void {
    writeJsonAtomic(join(this.dir, 'run.json'), RunMeta.parse(meta));
  }

  writeConfig(config: RunConfig): void {
    writeJsonAtomic(join(this.dir, 'config.json'), config);
  }

  #append(file: string, value: unknown): void {
    let fd = this.#fds.get(file);
    if (fd === undefined) {
      fd = openSync(join(this.dir, file), 'a');
      this.#fds.set(file, fd);
    }
    writeSync(fd, JSON.stringify(value) + '\n');
  }

  /** Routes a trainer event to its log: steps and epochs to metrics, snapshots to diagnostics, findings to findings. */
  event(e: TrainEvent): void {
    if (e.type === 'step' || e.type === 'epoch') this.#append('metrics.jsonl', e);
    else if (e.type === 'diagnostics') this.#append('diagnostics.jsonl', e.snapshot);
    else if (e.type === 'finding') this.#append('findings.jsonl', e.finding);
  }

  /** Validation predictions in degrees, in time order, for the predicted-vs-true chart. */
  writeValPredictions(v: { sampleIndex: ArrayLike<number>; timeS: ArrayLike<number>; predDeg: ArrayLike<number>; trueDeg: ArrayLike<number> }): void {
    writeJsonAtomic(join(this.dir, 'val-predictions.json'), {
      sampleIndex: Array.from(v.sampleIndex),
      timeS: Array.from(v.timeS, (t) => Math.round(t * 1000) / 1000),
      predDeg: Array.from(v.predDeg, (x) => Math.round(x * 1000) / 1000),
      trueDeg: Array.from(v.trueDeg, (x) => Math.round(x * 1000) / 1000),
    });
  }

  /**
   * The trained model in tfjs Layers format (model.json points at weights.bin)
   * and the target transform that maps its output to degrees.
   */
  writeModel(model: { modelJson: object; weightData: ArrayBuffer }, target: TargetTransformFile): void {
    const dir = join(this.dir, 'model');
    mkdirSync(dir, { recursive: true });
    writeFileAtomic(join(dir, 'weights.bin'), new Uint8Array(model.weightData));
    const json = { ...(model.modelJson as Record<string, unknown>) };
    const manifest = json.weightsManifest as { paths: string[]; weights: unknown[] }[] | undefined;
    if (Array.isArray(manifest)) json.weightsManifest = manifest.map((g) => ({ ...g, paths: ['weights.bin'] }));
    writeJsonAtomic(join(dir, 'model.json'), json);
    writeJsonAtomic(join(dir, 'target-transform.json'), target);
  }

  /** Writes result.json (atomically, last) and closes the logs. */
  finish(result: RunResult): void {
    this.close();
    writeJsonAtomic(join(this.dir, 'result.json'), RunResult.parse(result));
  }

  close(): void {
    for (const fd of this.#fds.values()) {
      try { closeSync(fd); } catch { /* already closed */ }
    }
    this.#fds.clear();
  }
}

/** Everything a reader needs about one run folder. Any part may be missing. */
export interface RunRecord {
  id: string;
  dir: string;
  state: RunState;
  meta: RunMeta | null;
  config: RunConfig | null;
  result: RunResult | null;
}

/** Reads a run folder without ever throwing on a partial run. */
export function readRun(dir: string): RunRecord {
  const abs = resolve(dir);
  removeStaleTemps(abs); // leftovers of a writer killed between write and rename
  const id = abs.split(/[\\/]/).pop() ?? abs;
  const metaP = RunMeta.safeParse(readJsonOrNull(join(abs, 'run.json')));
  const configP = RunConfig.safeParse(readJsonOrNull(join(abs, 'config.json')));
  const resultP = RunResult.safeParse(readJsonOrNull(join(abs, 'result.json')));
  const meta = metaP.success ? metaP.data : null;
  const result = resultP.success ? resultP.data : null;
  let state: RunState;
  if (result) state = 'complete';
  else if (!meta) state = 'incomplete';
  else state = isWriterAlive(meta.pid, meta.hostname) ? 'running' : 'crashed';
  return { id, dir: abs, state, meta, config: configP.success ? configP.data : null, result };
}

function subdirs(parent: string): string[] {
  if (!existsSync(parent)) return [];
  return readdirSync(parent)
    .filter((n) => !n.startsWith('.') && statSync(join(parent, n)).isDirectory())
    .sort();
}

/** Every run in a workspace, oldest first (ids start with a timestamp). */
export function listRuns(workspace: string): RunRecord[] {
  return subdirs(workspacePaths(workspace).runs).map((id) => readRun(join(workspacePaths(workspace).runs, id)));
}

export function writeExperiment(dir: string, rec: ExperimentRecord): void {
  writeJsonAtomic(join(dir, 'experiment.json'), ExperimentRecord.parse(rec));
}

/**
 * Reads experiments/<id>/experiment.json; a 'running' record whose process
 * is gone reads as 'crashed'. Null when the file is missing or invalid.
 */
export function readExperiment(dir: string): ExperimentRecord | null {
  removeStaleTemps(dir);
  const p = ExperimentRecord.safeParse(readJsonOrNull(join(dir, 'experiment.json')));
  if (!p.success) return null;
  const rec = p.data;
  if (rec.status === 'running' && !isWriterAlive(rec.pid, rec.hostname)) {
    return { ...rec, status: 'crashed', runs: rec.runs.map((r) => (r.status === 'running' ? { ...r, status: 'crashed' } : r)) };
  }
  return rec;
}

/**
 * An experiment's status once no process is writing it, from its runs:
 * 'completed' only when every cell has a final result (or 'failed' when all
 * of them failed); 'cancelled' when a run was cancelled or skipped; otherwise
 * 'crashed' (a run is pending, running or crashed: cells are missing).
 */
export function settledStatus(runs: ExperimentRecord['runs']): ExperimentRecord['status'] {
  const final = new Set(['completed', 'stopped-early', 'diverged', 'failed']);
  if (runs.every((r) => final.has(r.status))) return runs.every((r) => r.status === 'failed') ? 'failed' : 'completed';
  if (runs.some((r) => r.status === 'cancelled' || r.status === 'skipped')) return 'cancelled';
  return 'crashed';
}

/** Every experiment in a workspace, oldest first. */
export function listExperiments(workspace: string): { dir: string; record: ExperimentRecord | null }[] {
  const parent = workspacePaths(workspace).experiments;
  return subdirs(parent).map((id) => ({ dir: join(parent, id), record: readExperiment(join(parent, id)) }));
}
