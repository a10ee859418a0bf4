/**
 * A run's data set, reopened from its experiment record: the same videos,
 * labels, crop and input size it trained on, read through the workspace's
 * frame cache (a hit after training, so nothing is decoded again), plus how
 * to find each frame in its source video for pictures at full size.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { UserError } from '../errors.ts';
import { datasetSpecsOfRecord } from '../experiments/dataset-record.ts';
import { readExperiment, workspacePaths, type RunRecord } from '../experiments/store.ts';
import { datasetParts, loadDatasets, type DatasetPart } from '../video/multi.ts';
import type { Dataset, DatasetSpec, DecodeProgress } from '../video/types.ts';

export interface RunData {
  ds: Dataset;
  parts: DatasetPart[];
  /** Sample index of each frame of the data set, -1 for a frame no label matched. */
  sampleOfFrame: Int32Array;
  close(): void;
}

/**
 * A path as the experiment record holds it: absolute, or relative to the
 * folder training ran in (tried: this process's folder, then the folder
 * holding the workspace).
 */
function locate(p: string, workspace: string, what: string, runDir: string): string {
  if (isAbsolute(p)) {
    if (existsSync(p)) return p;
    throw new UserError(`the ${what} ${p} that ${runDir} trained on is missing; put it back or retrain`);
  }
  const tries = [resolve(p), resolve(dirname(workspace), p)];
  const found = tries.find((t) => existsSync(t));
  if (found) return found;
  throw new UserError(`the ${what} ${p} that ${runDir} trained on is not found (tried ${tries.join(', ')}); run this command from the folder training ran in`);
}

/** The data set specs of a run, with paths made absolute and the run's input size. */
export function runDatasetSpecs(run: RunRecord, runDir: string): DatasetSpec[] {
  const workspace = dirname(dirname(run.dir));
  const expId = run.meta?.experimentId;
  const record = expId ? readExperiment(join(workspacePaths(workspace).experiments, expId)) : null;
  if (!record) throw new UserError(`the experiment record of ${runDir} is missing, so its data set is unknown; give a run folder inside its workspace (runs/<id>)`);
  const input = run.config!.model.input;
  return datasetSpecsOfRecord(record.dataset).map((s) => ({
    ...s,
    source: locate(s.source, workspace, 'video', runDir),
    ...(s.labels && { labels: locate(s.labels, workspace, 'label file', runDir) }),
    input: { width: input.width, height: input.height },
  }));
}

/** Opens a run's data set through its workspace's frame cache. */
export async function openRunData(run: RunRecord, runDir: string, o: { signal?: AbortSignal; onProgress?(p: DecodeProgress): void } = {}): Promise<RunData> {
  const specs = runDatasetSpecs(run, runDir);
  const workspace = dirname(dirname(run.dir));
  const ds = await loadDatasets(specs, { cacheDir: workspacePaths(workspace).cache, signal: o.signal, onProgress: o.onProgress });
  const sampleOfFrame = new Int32Array(ds.frames.count).fill(-1);
  ds.sampleFrame.forEach((f, k) => (sampleOfFrame[f] = k));
  return { ds, parts: datasetParts(ds), sampleOfFrame, close: () => ds.frames.close() };
}

/** Pixels of data set frames in [0, 1] (NHWC at the model's input size), as the trainer feeds them. */
export function framePixels(ds: Dataset, frames: readonly number[]): Float32Array {
  const per = ds.frames.width * ds.frames.height * 3;
  const x = new Float32Array(frames.length * per);
  const buf = new Uint8Array(per);
  frames.forEach((f, j) => {
    const px = ds.frames.read(f, buf);
    for (let p = 0; p < per; p++) x[j * per + p] = px[p] / 255;
  });
  return x;
}

/** The part (video) holding data set frame `frame`, and the frame's index in that video. */
export function sourceFrame(parts: DatasetPart[], frame: number): { part: DatasetPart; index: number } {
  let part = parts[0];
  for (const p of parts) if (p.firstFrame <= frame) part = p;
  return { part, index: frame - part.firstFrame };
}
