/**
 * A data set of several videos, each with its own label file, seen by
 * everything downstream as ONE Dataset: the frames of video 1, then video 2,
 * ... behind one FrameStore, the samples and angles concatenated in the same
 * order. The block split (experiments/training-data.ts), the metrics and the
 * app's scrubber therefore work unchanged. A validation block may straddle
 * the joint between two videos; that leaks nothing (the two sides are
 * different drives), and the guard frames still separate train from val.
 *
 * Frame times are made continuous: video k's times are shifted so its first
 * frame comes one frame interval after the previous video's last frame, so
 * "time" stays increasing across the joint (charts over time, the scrubber).
 * Each part records its shift (timeOffsetS) to map back to its own clock.
 */
import { basename } from 'node:path';
import type { AlignmentReport, LabelSet } from '../data/types.ts';
import { UserError } from '../errors.ts';
import { loadDataset, type LoadOptions } from './dataset.ts';
import type { Dataset, DatasetSpec, FrameStore, VideoInfo } from './types.ts';

/** Where one video sits in a concatenated data set, and what it brought. */
export interface DatasetPart {
  spec: DatasetSpec;
  video: VideoInfo;
  labels: LabelSet;
  alignment: AlignmentReport;
  /** Global index of this video's first frame in the composite store. */
  firstFrame: number;
  frames: number;
  /** Global index of this video's first sample (sampleFrame / anglesDeg). */
  firstSample: number;
  samples: number;
  /** Seconds added to this video's own frame times in the composite store. */
  timeOffsetS: number;
  cacheHit: boolean;
  cachePath: string;
}

/** A Dataset made of several videos; `parts` keeps the per-video detail. */
export interface MultiDataset extends Dataset {
  parts: DatasetPart[];
}

/** The per-video parts of a data set: its own parts when concatenated, else one part covering all of it. */
export function datasetParts(ds: Dataset): DatasetPart[] {
  const parts = (ds as Partial<MultiDataset>).parts;
  if (parts) return parts;
  return [{
    spec: ds.spec, video: ds.video, labels: ds.labels, alignment: ds.alignment, firstFrame: 0, frames: ds.frames.count,
    firstSample: 0, samples: ds.anglesDeg.length, timeOffsetS: 0, cacheHit: ds.cacheHit, cachePath: ds.cachePath,
  }];
}

/** The name a person knows a video by: its file name (the whole path when two parts share one). */
function nameOf(spec: DatasetSpec): string {
  return basename(spec.source) || spec.source;
}

/** Index of the part holding global index i, given ascending part starts (starts[0] = 0). */
function partOf(starts: readonly number[], i: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= i) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** One FrameStore over several: global frame i is frame (i - start[k]) of store k. */
class CompositeFrameStore implements FrameStore {
  readonly count: number;
  readonly width: number;
  readonly height: number;
  readonly channels = 3 as const;
  readonly timestampsS: Float64Array;
  readonly #stores: FrameStore[];
  readonly #starts: number[];

  constructor(stores: FrameStore[], starts: number[], timestampsS: Float64Array) {
    this.#stores = stores;
    this.#starts = starts;
    this.count = timestampsS.length;
    this.width = stores[0].width;
    this.height = stores[0].height;
    this.timestampsS = timestampsS;
  }

  read(i: number, out?: Uint8Array): Uint8Array {
    if (!(Number.isInteger(i) && i >= 0 && i < this.count)) throw new RangeError(`frame ${i} is outside 0..${this.count - 1}`);
    const k = partOf(this.#starts, i);
    return this.#stores[k].read(i - this.#starts[k], out);
  }

  close(): void {
    for (const s of this.#stores) s.close();
  }
}

/** Median spacing of a part's frame times in seconds (1/fps when it has fewer than two frames). */
function frameIntervalS(ts: Float64Array, fps: number): number {
  if (ts.length < 2) return fps > 0 ? 1 / fps : 0;
  const d: number[] = [];
  for (let i = 1; i < ts.length; i++) d.push(ts[i] - ts[i - 1]);
  d.sort((a, b) => a - b);
  return d[d.length >> 1];
}

/**
 * Concatenates loaded data sets (one per video) into one. All parts must
 * share the input size (the model sees one size); otherwise a UserError names
 * both files. One part is returned unchanged. Closing the result's frames
 * closes every part's store.
 */
export function concatDatasets(parts: Dataset[]): Dataset {
  if (parts.length === 0) throw new UserError('a data set needs at least one video');
  if (parts.length === 1) return parts[0];
  checkSameSize(parts);
  const first = parts[0];
  const at = partStarts(parts);
  const { timestampsS, sampleFrame, anglesDeg } = concatArrays(parts, at);
  const names = parts.map((p) => nameOf(p.spec));
  const detail: DatasetPart[] = parts.map((p, k) => ({
    spec: p.spec, video: p.video, labels: p.labels, alignment: p.alignment, firstFrame: at.frameStarts[k], frames: p.frames.count,
    firstSample: at.sampleStarts[k], samples: p.anglesDeg.length, timeOffsetS: at.offsets[k], cacheHit: p.cacheHit, cachePath: p.cachePath,
  }));
  const labels: LabelSet = {
    ...first.labels,
    path: parts.map((p) => p.labels.path).join(' + '),
    rows: parts.flatMap((p) => p.labels.rows),
    warnings: parts.flatMap((p, k) => p.labels.warnings.map((w) => `${names[k]}: ${w}`)),
  };
  const out: MultiDataset = {
    spec: first.spec,
    video: mergedVideo(parts, at.frames),
    frames: new CompositeFrameStore(parts.map((p) => p.frames), at.frameStarts, timestampsS),
    labels,
    sampleFrame,
    anglesDeg,
    alignment: mergedAlignment(parts, at.offsets),
    warnings: parts.flatMap((p, k) => p.warnings.map((w) => `${names[k]}: ${w}`)),
    cachePath: first.cachePath,
    cacheHit: parts.every((p) => p.cacheHit),
    parts: detail,
  };
  return out;
}

/** Throws a UserError naming the first part whose frame size differs from the first video's. */
function checkSameSize(parts: Dataset[]): void {
  const first = parts[0];
  for (const p of parts.slice(1)) {
    if (p.frames.width !== first.frames.width || p.frames.height !== first.frames.height) {
      throw new UserError(
        `"${p.spec.source}" is decoded at ${p.frames.height}x${p.frames.width} px (HxW) but "${first.spec.source}" at ${first.frames.height}x${first.frames.width} px; ` +
          'every video of a data set must use the same input size',
      );
    }
  }
}

/** Where each part starts in the composite (frames, samples) and the seconds added to its frame times. */
interface PartStarts {
  frameStarts: number[];
  sampleStarts: number[];
  offsets: number[];
  /** Totals over all parts. */
  frames: number;
  samples: number;
}

function partStarts(parts: Dataset[]): PartStarts {
  const at: PartStarts = { frameStarts: [], sampleStarts: [], offsets: [], frames: 0, samples: 0 };
  let nextStartS = 0;
  for (const [k, p] of parts.entries()) {
    at.frameStarts.push(at.frames);
    at.sampleStarts.push(at.samples);
    const ts = p.frames.timestampsS;
    // Part 0 keeps its own clock; each later part starts one frame interval after the previous one ends.
    const offset = k === 0 || ts.length === 0 ? 0 : nextStartS - ts[0];
    at.offsets.push(offset);
    if (ts.length > 0) nextStartS = ts[ts.length - 1] + offset + frameIntervalS(ts, p.video.fps);
    at.frames += p.frames.count;
    at.samples += p.anglesDeg.length;
  }
  return at;
}

/** Frame times on the composite clock, and every sample's global frame index and angle, in part order. */
function concatArrays(parts: Dataset[], at: PartStarts): { timestampsS: Float64Array; sampleFrame: Int32Array; anglesDeg: Float32Array } {
  const timestampsS = new Float64Array(at.frames);
  const sampleFrame = new Int32Array(at.samples);
  const anglesDeg = new Float32Array(at.samples);
  for (const [k, p] of parts.entries()) {
    const ts = p.frames.timestampsS;
    for (let i = 0; i < ts.length; i++) timestampsS[at.frameStarts[k] + i] = ts[i] + at.offsets[k];
    for (let s = 0; s < p.sampleFrame.length; s++) sampleFrame[at.sampleStarts[k] + s] = p.sampleFrame[s] + at.frameStarts[k];
    anglesDeg.set(p.anglesDeg, at.sampleStarts[k]);
  }
  return { timestampsS, sampleFrame, anglesDeg };
}

/** One VideoInfo for the whole: paths joined, durations summed, the first video's size and rotation. */
function mergedVideo(parts: Dataset[], frames: number): VideoInfo {
  const first = parts[0];
  const durationS = parts.reduce((s, p) => s + p.video.durationS, 0);
  return {
    path: parts.map((p) => p.video.path).join(' + '),
    frames,
    // Frames per second of the whole: total frames over total duration (equal to each part's rate when they agree).
    fps: durationS > 0 ? frames / durationS : first.video.fps,
    width: first.video.width,
    height: first.video.height,
    durationS,
    codec: [...new Set(parts.map((p) => p.video.codec))].join(', '),
    rotationDeg: first.video.rotationDeg,
    variableFrameRate: parts.some((p) => p.video.variableFrameRate),
  };
}

/** Alignment counts summed over the parts; gaps moved onto the composite clock, like the frame times. */
function mergedAlignment(parts: Dataset[], offsets: number[]): AlignmentReport {
  return {
    ...parts[0].alignment,
    matched: parts.reduce((s, p) => s + p.alignment.matched, 0),
    unmatchedFrames: parts.reduce((s, p) => s + p.alignment.unmatchedFrames, 0),
    unmatchedLabels: parts.reduce((s, p) => s + p.alignment.unmatchedLabels, 0),
    gaps: parts.flatMap((p, k) => p.alignment.gaps.map((g) => ({ startS: g.startS + offsets[k], endS: g.endS + offsets[k] }))),
  };
}

/**
 * Loads each spec with loadDataset, one after the other (each has its own
 * frame cache entry), and concatenates them. One spec gives the plain
 * Dataset. Progress counts frames over all videos decoded so far. If any
 * video fails (or the load is cancelled), the stores already opened are
 * closed and its error stands.
 */
export async function loadDatasets(specs: DatasetSpec[], o: LoadOptions): Promise<Dataset> {
  if (specs.length === 0) throw new UserError('a data set needs at least one video');
  if (specs.length === 1) return loadDataset(specs[0], o);
  const loaded: Dataset[] = [];
  let doneBefore = 0;
  try {
    for (const spec of specs) {
      const ds = await loadDataset(spec, {
        ...o,
        onProgress: o.onProgress && ((p) => o.onProgress!({ done: doneBefore + p.done, total: doneBefore + p.total, etaS: p.etaS })),
      });
      loaded.push(ds);
      doneBefore += ds.frames.count;
    }
    return concatDatasets(loaded);
  } catch (e) {
    for (const ds of loaded) ds.frames.close();
    throw e;
  }
}
