/**
 * The label-lag doctor end to end: decode the drive small into the frame
 * cache, measure how far the upper picture slides sideways between frames
 * (lag-features.ts, a yaw-rate proxy), read the labels, and find the offset
 * that lines the steering up with that motion (data/lag.ts). No model is
 * involved. Used by `steerlab lag` and `steerlab inspect --lag`.
 */
import { dirname } from 'node:path';
import { alignByImage } from '../data/align.ts';
import { estimateLag, type LagOptions, type LagResult } from '../data/lag.ts';
import { readLabels } from '../data/read-labels.ts';
import type { LabelOptions, LabelRow, LabelSet } from '../data/types.ts';
import { basenameAnyOs, simStampMs } from '../data/udacity.ts';
import { UserError } from '../errors.ts';
import { cacheKey, openFrameCache, type CachedFrames } from './cache.ts';
import { buildFrameCache, defaultMaxGapMs } from './dataset.ts';
import { isImageSource } from './decode.ts';
import { isSequencePattern } from './images.ts';
import { matchLabels } from './label-match.ts';
import { motionSeries, type MotionOptions } from './lag-features.ts';
import type { Crop, DecodeProgress } from './types.ts';

/** Frame size the motion is measured at (height x width, pixels): small, as distant scenery is coarse. */
export const LAG_INPUT = Object.freeze({ height: 64, width: 128 });
/** Mean grey-level change (0-255) below which two frames count as the same picture. */
const STILL_CHANGE = 0.5;

export interface LagDoctorSpec {
  source: string;
  /** Label file or folder (default: the image folder's own). */
  labels?: string;
  labelOptions?: LabelOptions;
  crop?: Crop;
}

export interface LagDoctorOptions extends LagOptions, MotionOptions {
  cacheDir: string;
  signal?: AbortSignal;
  onProgress?(p: DecodeProgress): void;
}

/** What the doctor found: the estimate (data/lag.ts) plus what it was measured on. */
export interface LagReport extends LagResult {
  source: string;
  labels: string;
  /** How the labels are matched to frames: only 'time' labels take --offset-ms. */
  matchedBy: LabelSet['key'];
  /** Frame pairs measured, and how many of them changed at all. */
  pairs: number;
  movingPairs: number;
  warnings: string[];
}

function labelPath(spec: LagDoctorSpec): string {
  if (spec.labels) return spec.labels;
  if (isImageSource(spec.source)) return isSequencePattern(spec.source) ? dirname(spec.source) : spec.source;
  throw new UserError(`no labels given for "${spec.source}"; pass --labels FILE (CSV with a time or frame column and a steering column)`);
}

async function openFrames(spec: LagDoctorSpec, o: LagDoctorOptions): Promise<CachedFrames> {
  const size = { width: LAG_INPUT.width, height: LAG_INPUT.height };
  const { key, path } = await cacheKey({ source: spec.source, ...size, crop: spec.crop }, o.cacheDir);
  const hit = openFrameCache(path, key);
  if (hit) return hit;
  return buildFrameCache({ source: spec.source, input: size, crop: spec.crop }, { cacheDir: o.cacheDir, signal: o.signal, onProgress: o.onProgress });
}

/**
 * Seconds of each centre-camera label row: the rows' own times, else the
 * simulator stamps in their image names (a log of several recording
 * sessions has times that jump back, which the label reader refuses), else
 * row order at the folder's nominal rate (with a warning).
 */
function rowTimes(rows: LabelRow[], fps: number, path: string, warnings: string[]): number[] {
  if (rows.every((r) => Number.isFinite(r.timeS))) return rows.map((r) => r.timeS as number);
  const stamps = rows.map((r) => (r.image === undefined ? null : simStampMs(basenameAnyOs(r.image))));
  if (stamps.every((t) => t !== null)) {
    const t0 = Math.min(...(stamps as number[]));
    return stamps.map((t) => ((t as number) - t0) / 1000);
  }
  warnings.push(`${path} gives no time per image; its rows are taken as evenly spaced at ${fps} fps, so the offset is in those units`);
  return rows.map((_, k) => k / fps);
}

/** Seconds of every frame: its own time, or for image labels the time of its (centre-camera) row; NaN = not on the timeline. */
function frameTimes(store: CachedFrames, labels: LabelSet, warnings: string[]): Float64Array {
  if (labels.key !== 'image' || !store.meta.imageNames) return Float64Array.from(store.timestampsS);
  const centre = labels.rows.filter((r) => r.camera === undefined || r.camera === 'center');
  const t = rowTimes(centre, store.meta.video.fps, labels.path, warnings);
  // The image matcher, fed row numbers instead of angles (exact in its float32 output, unlike
  // times of a log spanning years): each frame gets its row, then that row's time.
  const numbered = centre.map((r, k) => ({ ...r, steeringDeg: k }));
  const row = alignByImage(store.meta.imageNames.slice(0, store.count), numbered).anglesDeg;
  return Float64Array.from(row, (k) => (Number.isNaN(k) ? NaN : t[k]));
}

/** The steering over time: the label rows' own times when matched by time, else the angle of each matched frame at its time. */
function steeringSeries(store: CachedFrames, labels: LabelSet, timesS: Float64Array, source: string): { tS: number[]; value: number[] } {
  const pts: [number, number][] = [];
  if (labels.key === 'time') {
    for (const r of labels.rows) if ((r.camera === undefined || r.camera === 'center') && Number.isFinite(r.timeS)) pts.push([r.timeS as number, r.steeringDeg]);
  } else {
    const { anglesDeg } = matchLabels(store, labels, { source, offsetMs: 0, maxGapMs: defaultMaxGapMs(labels) });
    for (let i = 0; i < store.count; i++) if (Number.isFinite(timesS[i]) && Number.isFinite(anglesDeg[i])) pts.push([timesS[i], anglesDeg[i]]);
  }
  pts.sort((a, b) => a[0] - b[0]);
  return { tS: pts.map((p) => p[0]), value: pts.map((p) => p[1]) };
}

/**
 * Estimates the label-to-video offset of one drive. Throws UserError when
 * the labels cannot be read or the picture never moves (nothing to measure);
 * a picture that moves without showing yaw gets `evidence: 'none'`.
 */
export async function diagnoseLag(spec: LagDoctorSpec, o: LagDoctorOptions): Promise<LagReport> {
  const labels = await readLabels(labelPath(spec), spec.labelOptions ?? {});
  const store = await openFrames(spec, o);
  try {
    const warnings = [...(store.meta.warnings ?? []), ...labels.warnings];
    const timesS = frameTimes(store, labels, warnings);
    const order: number[] = [];
    for (let i = 0; i < store.count; i++) if (Number.isFinite(timesS[i])) order.push(i);
    order.sort((a, b) => timesS[a] - timesS[b]);
    const m = motionSeries(store, o, timesS, order);
    // Pairs across a recording pause (or a dropped stretch) say nothing about yaw rate.
    const dts = Array.from(m.dtS).filter((d) => d > 0).sort((a, b) => a - b);
    const maxDt = 3 * (dts[dts.length >> 1] ?? 0);
    const rate: number[] = [];
    const tS: number[] = [];
    let moving = 0;
    for (let j = 0; j < m.tS.length; j++) {
      if (!(m.dtS[j] > 0 && m.dtS[j] <= maxDt)) continue;
      if (m.change[j] >= STILL_CHANGE) moving++;
      tS.push(m.tS[j]);
      rate.push(m.leftPx[j] / m.dtS[j]);
    }
    if (moving < Math.max(2, 0.1 * rate.length)) {
      throw new UserError(
        `"${spec.source}" has no motion to measure: ${moving} of ${rate.length} consecutive frame pairs differ at all; the lag doctor needs a drive where the camera turns`,
      );
    }
    const est = estimateLag({ tS, value: rate }, steeringSeries(store, labels, timesS, spec.source), o);
    return { ...est, source: spec.source, labels: labels.path, matchedBy: labels.key, pairs: rate.length, movingPairs: moving, warnings };
  } finally {
    store.close();
  }
}

