/**
 * Everything a reference job needs from an experiment folder: its finished
 * runs, the data set rebuilt exactly as the lab built it (same specs, input
 * size, frame cache, split seed), the frames dumped for reference.py, and
 * the job itself. Refuses when the rebuilt split is not the one the lab
 * validated on.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UserError } from '../errors.ts';
import { datasetSpecsOfRecord } from '../experiments/dataset-record.ts';
import type { ValPredictions } from '../experiments/load.ts';
import { readExperiment, readJsonOrNull, readRun, workspacePaths, type TargetTransformFile } from '../experiments/store.ts';
import { datasetToTrainingData, type DatasetTrainingData } from '../experiments/training-data.ts';
import type { ExperimentRecord } from '../experiments/types.ts';
import type { RunConfig } from '../train/config.ts';
import { loadDatasets } from '../video/multi.ts';
import type { Dataset } from '../video/types.ts';
import { dumpFrames } from './frames.ts';
import { JOB_VERSION, jobDataset, jobRun, jobTransform, recordSamples, type ForwardCheck, type ReferenceJob } from './job.ts';
import type { ReferenceEvent } from './types.ts';

/** A lab run the job reproduces, with what the lab measured. */
export interface PreparedRun {
  runId: string;
  name: string;
  head: string;
  targets: string;
  seed: number;
  /** Validation sample indices (the lab's, in its order) and their true angles in degrees, as the lab read them. */
  valIndices: Int32Array;
  trueDeg: Float32Array;
  /** The lab's validation metrics (result.json, result.val.model), in degrees. */
  lab: { valMaeDeg: number; valRmseDeg: number } | null;
  /** The lab's validation predictions in degrees (val-predictions.json), aligned with valIndices. */
  labPredDeg: number[];
  /** The lab's exported weights, when the run saved its model. */
  model: { weightsPath: string; manifest: ForwardCheck['manifest'] } | null;
}

export interface PreparedReference {
  experimentId: string;
  /** <experimentDir>/reference: frames, job and result files. */
  workDir: string;
  /** The training job (resultPath filled in by the caller). */
  job: ReferenceJob;
  runs: PreparedRun[];
  skipped: { runId: string | null; name: string; reason: string }[];
  /** Removes the frames files (unless kept) and the job's scratch files. */
  cleanup(): void;
}

interface Candidate {
  entry: ExperimentRecord['runs'][number];
  dir: string;
  config: RunConfig;
  result: NonNullable<ReturnType<typeof readRun>['result']>;
  vp: ValPredictions;
}

/** The runs of a record that can be reproduced, and why the others cannot. */
function candidates(record: ExperimentRecord, runsDir: string): { use: Candidate[]; skipped: PreparedReference['skipped'] } {
  const use: Candidate[] = [];
  const skipped: PreparedReference['skipped'] = [];
  for (const entry of record.runs) {
    const skip = (reason: string) => skipped.push({ runId: entry.runId, name: entry.name, reason });
    if (!entry.runId) { skip(`never started (${entry.status})`); continue; }
    const dir = join(runsDir, entry.runId);
    const run = readRun(dir);
    const vp = readJsonOrNull(join(dir, 'val-predictions.json')) as ValPredictions | null;
    if (!run.config) skip(`${join(dir, 'config.json')} is missing or invalid`);
    else if (!run.result?.val) skip(`no validation result (${run.result?.status ?? run.state})`);
    else if (!vp || !Array.isArray(vp.sampleIndex) || !Array.isArray(vp.predDeg)) skip(`${join(dir, 'val-predictions.json')} is missing`);
    else use.push({ entry, dir, config: run.config, result: run.result, vp });
  }
  return { use, skipped };
}

/** Refuses when the split rebuilt here does not validate on the samples the lab did. */
function checkSplit(c: Candidate, td: DatasetTrainingData): void {
  const lab = c.vp.sampleIndex;
  const here = td.valIndices;
  const first = lab.length === here.length ? lab.findIndex((s, i) => s !== here[i]) : Math.min(lab.length, here.length);
  if (first >= 0) {
    throw new UserError(
      `${join(c.dir, 'val-predictions.json')} validates on ${lab.length} samples but the split rebuilt from experiment.json gives ${here.length}` +
        ` (first difference at position ${first}); the video, labels, crop or frame limit changed since the run, so run the experiment again`,
    );
  }
}

/** The exported weights of a run (model/model.json's manifest and weights.bin), or null. */
function labModel(dir: string): PreparedRun['model'] {
  const json = readJsonOrNull(join(dir, 'model', 'model.json')) as { weightsManifest?: { weights: ForwardCheck['manifest'] }[] } | null;
  const weightsPath = join(dir, 'model', 'weights.bin');
  const groups = json?.weightsManifest;
  if (!Array.isArray(groups) || groups.length !== 1 || !existsSync(weightsPath)) return null;
  return { weightsPath, manifest: groups[0].weights.map((w) => ({ name: w.name, shape: w.shape, dtype: w.dtype })) };
}

/** One decoded data set per input size, loaded as the runner loads it (same specs, same cache). */
async function loadBySize(record: ExperimentRecord, use: Candidate[], cacheDir: string, o: PrepareOptions): Promise<Map<string, Dataset>> {
  const out = new Map<string, Dataset>();
  try {
    for (const c of use) {
      const { width, height } = c.config.model.input;
      const key = `${height}x${width}`;
      if (out.has(key)) continue;
      const specs = datasetSpecsOfRecord(record.dataset).map((s) => ({ ...s, input: { width, height } }));
      out.set(key, await loadDatasets(specs, { cacheDir, signal: o.signal, onProgress: (p) => o.onProgress?.({ type: 'decode', ...p }) }));
    }
  } catch (err) {
    for (const ds of out.values()) ds.frames.close();
    throw err;
  }
  return out;
}

export interface PrepareOptions {
  experimentDir: string;
  signal?: AbortSignal;
  onProgress?(e: ReferenceEvent): void;
  /** Keep <experimentDir>/reference/frames-<H>x<W>.u8 after the run. */
  keepFrames?: boolean;
}

/**
 * The experiment record and the runs that can be reproduced (cheap: JSON
 * only). Throws UserError when the folder is no experiment or has no such run.
 */
export function reproducibleRuns(experimentDir: string) {
  const expDir = resolve(experimentDir);
  const record = readExperiment(expDir);
  if (!record) throw new UserError(`${join(experimentDir, 'experiment.json')} is missing or invalid; give an experiment folder (<workspace>/experiments/<id>)`);
  // experiments/<id> sits beside runs/ and cache/ in the same workspace.
  const ws = workspacePaths(dirname(dirname(expDir)));
  const { use, skipped } = candidates(record, ws.runs);
  if (use.length === 0) throw new UserError(`${experimentDir} has no finished run with validation predictions to reproduce (${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')})`);
  return { expDir, record, ws, use, skipped };
}

/** One run to reproduce, with its data set (by input size) and the split rebuilt for it. */
interface RunSplit {
  c: Candidate;
  /** `${height}x${width}` of the run's input. */
  size: string;
  ds: Dataset;
  td: DatasetTrainingData;
}

/** The lab run with what it measured and the rebuilt validation list (the runner's `sampleIndex` order). */
function preparedRun({ c, ds, td }: RunSplit): PreparedRun {
  const m = c.result.val!.model;
  return {
    runId: c.entry.runId!, name: c.entry.name, head: c.config.model.head, targets: c.config.targets.kind, seed: c.config.seed,
    valIndices: td.valIndices, trueDeg: Float32Array.from(td.valIndices, (s) => ds.anglesDeg[s]),
    lab: { valMaeDeg: m.maeDeg, valRmseDeg: m.rmseDeg }, labPredDeg: c.vp.predDeg, model: labModel(c.dir),
  };
}

/** Dumps one frames file per input size (every sample any run of that size uses); returns path and records per size. */
async function dumpAll(splits: RunSplit[], workDir: string, written: string[], o: PrepareOptions): Promise<Map<string, { path: string; records: Int32Array }>> {
  const out = new Map<string, { path: string; records: Int32Array }>();
  for (const { size, ds } of splits) {
    if (out.has(size)) continue;
    const records = recordSamples(splits.filter((s) => s.size === size).flatMap((s) => [s.td.trainIndices, s.td.valIndices]));
    const path = join(workDir, `frames-${size}.u8`);
    written.push(path);
    await dumpFrames(ds.frames, Array.from(records, (s) => ds.sampleFrame[s]), path, { signal: o.signal, onProgress: (done, total) => o.onProgress?.({ type: 'frames', done, total }) });
    out.set(size, { path, records });
  }
  return out;
}

/** The training job: one data set entry per (input size, split config), one run entry per lab run. */
function buildJob(splits: RunSplit[], frames: Map<string, { path: string; records: Int32Array }>): ReferenceJob {
  const job: ReferenceJob = { version: JOB_VERSION, mode: 'train', resultPath: '', datasets: [], runs: [] };
  const index = new Map<string, number>();
  for (const { c, size, ds, td } of splits) {
    const key = `${size}|${JSON.stringify(c.config.split)}`;
    if (!index.has(key)) {
      index.set(key, job.datasets.length);
      const f = frames.get(size)!;
      job.datasets.push(jobDataset({ path: f.path, height: ds.frames.height, width: ds.frames.width, records: f.records }, td, ds.anglesDeg));
    }
    const savedPath = join(c.dir, 'model', 'target-transform.json');
    const transform = jobTransform(c.config.targets, td.train.anglesDeg, readJsonOrNull(savedPath) as TargetTransformFile | null, savedPath);
    job.runs.push(jobRun(c.entry.runId!, c.config, index.get(key)!, transform));
  }
  return job;
}

/** Reads the experiment, rebuilds its data and split, dumps the frames and builds the job. */
export async function prepareReference(o: PrepareOptions): Promise<PreparedReference> {
  const { expDir, record, ws, use, skipped } = reproducibleRuns(o.experimentDir);
  const workDir = join(expDir, 'reference');
  mkdirSync(workDir, { recursive: true });
  const datasets = await loadBySize(record, use, ws.cache, o);
  const written: string[] = [];
  const removeFrames = () => {
    for (const p of written) rmSync(p, { force: true });
  };
  try {
    // Every split is checked against the lab's before anything is written.
    const splits = use.map((c): RunSplit => {
      const size = `${c.config.model.input.height}x${c.config.model.input.width}`;
      const ds = datasets.get(size)!;
      const td = datasetToTrainingData(ds, c.config.split, c.config.augment);
      checkSplit(c, td);
      return { c, size, ds, td };
    });
    const job = buildJob(splits, await dumpAll(splits, workDir, written, o));
    const cleanup = () => {
      if (!o.keepFrames) removeFrames();
    };
    return { experimentId: record.id, workDir, job, runs: splits.map(preparedRun), skipped, cleanup };
  } catch (err) {
    removeFrames();
    throw err;
  } finally {
    // The frames are in the dump now; the caches are not needed while Python trains.
    for (const ds of datasets.values()) ds.frames.close();
  }
}
