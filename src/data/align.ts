/**
 * Matching labels to frames: by time (linear interpolation between label
 * rows), by frame index, or by image name. Every result is one angle per
 * frame in degrees, NaN where the frame has no label, plus a report.
 */
import { UserError } from '../errors.ts';
import type { AlignmentReport, LabelRow } from './types.ts';
import { fmt } from './units.ts';

export interface AlignResult {
  /** One angle per frame in degrees (positive = right); NaN = frame dropped. */
  anglesDeg: Float32Array;
  report: AlignmentReport;
  /**
   * alignByImage only: the matched frame indices in label-row order (time
   * order, with the side cameras of one moment next to their centre image).
   * Image folders sort by name (all center_*, then all left_*), so a block
   * split over name order would put a side view of a validation moment in
   * training; split over this order instead.
   */
  rowOrder?: Int32Array;
}

/** Side-camera rows share the centre's time; only centre (or camera-less) rows describe the timeline. */
function timelineRows(rows: LabelRow[]): LabelRow[] {
  return rows.filter((r) => r.camera === undefined || r.camera === 'center');
}

/**
 * Aligns by time. Label times are shifted by offsetMs (added), then each
 * frame time (seconds) gets:
 * - the linear interpolation of the two label rows around it, when they are
 *   at most maxGapMs apart;
 * - otherwise the nearest row's angle, when that row is within maxGapMs;
 * - otherwise NaN (dropped, counted in unmatchedFrames).
 * A label row is unmatched when no frame lies within maxGapMs of it. Gaps
 * list label-free spans longer than maxGapMs inside the video, including
 * an uncovered start or end.
 */
export function alignByTime(
  frameTimesS: ArrayLike<number>,
  rows: LabelRow[],
  o: { offsetMs: number; maxGapMs: number },
): AlignResult {
  const tl = timelineRows(rows);
  const off = o.offsetMs / 1000;
  const gap = o.maxGapMs / 1000;
  const t = new Float64Array(tl.length);
  const v = new Float64Array(tl.length);
  tl.forEach((r, i) => {
    if (r.timeS === undefined || !Number.isFinite(r.timeS)) {
      throw new UserError(`labels line ${r.line}: the row has no time; these labels cannot be matched by time, match them by frame or image name`);
    }
    t[i] = r.timeS + off;
    v[i] = r.steeringDeg;
    if (i > 0 && !(t[i] > t[i - 1])) {
      throw new UserError(`labels line ${r.line}: time ${fmt(r.timeS)} s is not after line ${tl[i - 1].line}; sort the rows by time and remove duplicates`);
    }
  });
  const n = frameTimesS.length;
  const out = new Float32Array(n);
  let matched = 0;
  let fMin = Infinity;
  let fMax = -Infinity;
  for (let i = 0; i < n; i++) {
    const f = frameTimesS[i];
    if (f < fMin) fMin = f;
    if (f > fMax) fMax = f;
    out[i] = valueAt(t, v, f, gap);
    if (!Number.isNaN(out[i])) matched++;
  }
  let unmatchedLabels = 0;
  for (let j = 0; j < t.length; j++) if (n === 0 || t[j] < fMin - gap || t[j] > fMax + gap) unmatchedLabels++;
  const gaps: { startS: number; endS: number }[] = [];
  if (n > 0) {
    if (t.length === 0) gaps.push({ startS: fMin, endS: fMax });
    else {
      if (t[0] - fMin > gap) gaps.push({ startS: fMin, endS: Math.min(t[0], fMax) });
      for (let j = 1; j < t.length; j++) {
        if (t[j] - t[j - 1] > gap && t[j] > fMin && t[j - 1] < fMax) gaps.push({ startS: Math.max(t[j - 1], fMin), endS: Math.min(t[j], fMax) });
      }
      if (fMax - t[t.length - 1] > gap) gaps.push({ startS: Math.max(t[t.length - 1], fMin), endS: fMax });
    }
  }
  return {
    anglesDeg: out,
    report: { method: 'time', matched, unmatchedFrames: n - matched, unmatchedLabels, gaps, offsetMs: o.offsetMs, maxGapMs: o.maxGapMs },
  };
}

/** Interpolated label value at time f (seconds), or NaN; t ascending. */
function valueAt(t: Float64Array, v: Float64Array, f: number, gap: number): number {
  const m = t.length;
  if (m === 0 || !Number.isFinite(f)) return NaN;
  // First index with t[hi] >= f.
  let lo = 0;
  let hi = m;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (t[mid] < f) lo = mid + 1;
    else hi = mid;
  }
  if (hi < m && t[hi] === f) return v[hi];
  if (hi > 0 && hi < m && t[hi] - t[hi - 1] <= gap) {
    const w = (f - t[hi - 1]) / (t[hi] - t[hi - 1]);
    return v[hi - 1] + w * (v[hi] - v[hi - 1]);
  }
  const dPrev = hi > 0 ? f - t[hi - 1] : Infinity;
  const dNext = hi < m ? t[hi] - f : Infinity;
  if (Math.min(dPrev, dNext) > gap) return NaN;
  return dPrev <= dNext ? v[hi - 1] : v[hi];
}

/**
 * Aligns by 0-based frame index: frame i takes the row with frameIndex i, or
 * with `frameNumbers`, the row with frameIndex frameNumbers[i] (the source
 * frame a decoded frame is, when decoding lost some: see video/frame-gaps.ts).
 * With fps, runs of unlabelled frames are reported as gaps in seconds.
 */
export function alignByFrame(frameCount: number, rows: LabelRow[], o: { fps?: number; frameNumbers?: ArrayLike<number> } = {}): AlignResult {
  const out = new Float32Array(frameCount).fill(NaN);
  const nums = o.frameNumbers;
  // Source frame number -> decoded position (identity without frameNumbers).
  const at = new Map<number, number>();
  if (nums) for (let i = 0; i < frameCount; i++) at.set(nums[i], i);
  let unmatchedLabels = 0;
  for (const r of rows) {
    const f = r.frameIndex;
    if (f === undefined) {
      throw new UserError(`labels line ${r.line}: the row has no frame index; match these labels by time or image name`);
    }
    const i = nums ? at.get(f) : f >= 0 && f < frameCount && Number.isInteger(f) ? f : undefined;
    if (i !== undefined) out[i] = r.steeringDeg;
    else unmatchedLabels++;
  }
  return finishDiscrete('frame', out, unmatchedLabels, o.fps);
}

function stem(name: string): string {
  const b = name.split('/').pop() as string;
  const dot = b.lastIndexOf('.');
  return dot > 0 ? b.slice(0, dot) : b;
}

/**
 * Aligns by image name: each frame's relative path (e.g. IMG/center_x.jpg)
 * matches a row's image by the whole path, else by file name, else by name
 * without extension; the last two only when that name is unique among frames.
 */
export function alignByImage(imageNames: string[], rows: LabelRow[]): AlignResult {
  const norm = (s: string) => s.replace(/\\/g, '/').replace(/^\.\//, '');
  const exact = new Map<string, number>();
  const base = new Map<string, number>();
  const stems = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, i: number) => m.set(k, m.has(k) ? -1 : i);
  imageNames.forEach((name, i) => {
    const p = norm(name);
    exact.set(p, i);
    add(base, p.split('/').pop() as string, i);
    add(stems, stem(p), i);
  });
  const out = new Float32Array(imageNames.length).fill(NaN);
  const order: number[] = [];
  let unmatchedLabels = 0;
  for (const r of rows) {
    if (r.image === undefined) {
      throw new UserError(`labels line ${r.line}: the row names no image; match these labels by time or frame index`);
    }
    const p = norm(r.image);
    let i = exact.get(p);
    if (i === undefined || i < 0) i = base.get(p.split('/').pop() as string);
    if (i === undefined || i < 0) i = stems.get(stem(p));
    if (i === undefined || i < 0) unmatchedLabels++;
    else if (Number.isNaN(out[i])) {
      out[i] = r.steeringDeg;
      order.push(i);
    }
  }
  return { ...finishDiscrete('image', out, unmatchedLabels), rowOrder: Int32Array.from(order) };
}

function finishDiscrete(method: 'frame' | 'image', out: Float32Array, unmatchedLabels: number, fps?: number): AlignResult {
  let matched = 0;
  const gaps: { startS: number; endS: number }[] = [];
  let runStart = -1;
  for (let i = 0; i <= out.length; i++) {
    const missing = i < out.length && Number.isNaN(out[i]);
    if (!missing && i < out.length) matched++;
    if (missing && runStart < 0) runStart = i;
    if (!missing && runStart >= 0) {
      if (fps && fps > 0) gaps.push({ startS: runStart / fps, endS: i / fps });
      runStart = -1;
    }
  }
  return {
    anglesDeg: out,
    report: { method, matched, unmatchedFrames: out.length - matched, unmatchedLabels, gaps, offsetMs: 0, maxGapMs: 0 },
  };
}

/** Plain-language warnings computed from a report (for inspect and the data-set loader). */
export function describeAlignment(r: AlignmentReport, frames: number): string[] {
  const w: string[] = [];
  if (frames > 0 && r.matched === 0) w.push(`no frame matched a label (by ${r.method}); check the offset, the units of the time column, or the matching method`);
  else if (r.unmatchedFrames > 0) {
    w.push(`${r.unmatchedFrames} of ${frames} frames (${fmt((100 * r.unmatchedFrames) / frames)}%) have no label within reach and are dropped`);
  }
  if (r.unmatchedLabels > 0) w.push(`${r.unmatchedLabels} label rows match no frame`);
  if (r.gaps.length > 0) {
    const total = r.gaps.reduce((s, g) => s + (g.endS - g.startS), 0);
    const first = r.gaps[0];
    w.push(`${r.gaps.length} label gaps totalling ${fmt(total)} s (first ${fmt(first.startS)}-${fmt(first.endS)} s)`);
  }
  return w;
}
