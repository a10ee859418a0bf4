/**
 * The image side of the label-lag doctor (data/lag.ts): how far the upper
 * picture slid sideways between consecutive frames. Distant scenery (trees,
 * hills, buildings on the horizon) moves sideways by the camera's yaw and
 * hardly at all with forward motion, so the slide is a yaw-rate proxy that
 * is concurrent with steering. The road below the horizon is left out: its
 * shape shows the bend ahead, which leads the steering by hundreds of
 * milliseconds and would bias the estimate.
 */
import type { FrameStore } from './types.ts';

export interface MotionOptions {
  /** Top and bottom of the band measured, as fractions of the frame height (default 0 to 0.4: above a typical horizon). */
  bandTop?: number;
  bandBottom?: number;
  /** Largest slide searched between two frames, pixels of the stored frame (default: a tenth of its width). */
  maxShiftPx?: number;
}

/** Per frame pair (i-1, i): mid time, sideways slide and how much the band changed at all. */
export interface MotionSeries {
  /** Mid time of the pair, seconds. */
  tS: Float64Array;
  /** Time between the two frames, seconds. */
  dtS: Float64Array;
  /** Scene slide to the left, pixels of the stored frame (positive while the camera turns right). */
  leftPx: Float64Array;
  /** Mean absolute grey-level change in the band (0-255): 0 when nothing moved at all. */
  change: Float64Array;
  /** Width of the stored frames, pixels (slides are in these pixels). */
  width: number;
}

/** Grey levels (0-255) of rows [y0, y1) of an RGB frame, minus their mean (so lighting drift does not look like motion). */
export function grayBand(rgb: Uint8Array, width: number, y0: number, y1: number): Float32Array {
  const out = new Float32Array((y1 - y0) * width);
  let sum = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = 0; x < width; x++) {
      const k = (y * width + x) * 3;
      const g = 0.299 * rgb[k] + 0.587 * rgb[k + 1] + 0.114 * rgb[k + 2];
      out[(y - y0) * width + x] = g;
      sum += g;
    }
  }
  const mean = sum / Math.max(1, out.length);
  for (let i = 0; i < out.length; i++) out[i] -= mean;
  return out;
}

/** Mean squared difference between a(x) and b(x + s) over the columns both cover. */
function msd(a: Float32Array, b: Float32Array, width: number, rows: number, s: number): number {
  let sum = 0;
  let n = 0;
  const x0 = Math.max(0, -s);
  const x1 = Math.min(width, width - s);
  for (let y = 0; y < rows; y++) {
    const o = y * width;
    for (let x = x0; x < x1; x++) {
      const d = a[o + x] - b[o + x + s];
      sum += d * d;
    }
    n += x1 - x0;
  }
  return n > 0 ? sum / n : Infinity;
}

/**
 * Sideways shift s (pixels, sub-pixel) with b(x + s) closest to a(x): the
 * whole-pixel shift with the least squared difference, refined by a parabola
 * through it and its neighbours. Positive: the content moved right.
 */
export function sideShift(a: Float32Array, b: Float32Array, width: number, rows: number, maxShift: number): number {
  const m = Math.max(1, Math.min(Math.floor(maxShift), width >> 2));
  const cost = new Float64Array(2 * m + 1);
  let best = 0;
  for (let s = -m; s <= m; s++) {
    cost[s + m] = msd(a, b, width, rows, s);
    if (cost[s + m] < cost[best]) best = s + m;
  }
  if (best === 0 || best === 2 * m) return best - m;
  const [l, c, r] = [cost[best - 1], cost[best], cost[best + 1]];
  const den = l - 2 * c + r;
  return best - m + (den > 0 ? (0.5 * (l - r)) / den : 0);
}

/** Mean absolute difference of two bands (grey levels). */
function meanAbsDiff(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / Math.max(1, a.length);
}

/**
 * The slide of the band between consecutive frames of `order` (frame
 * indices, default all in store order; read one by one, two in memory).
 * `timesS[i]` is frame i's time in seconds (default the store's own).
 */
export function motionSeries(store: FrameStore, o: MotionOptions = {}, timesS: ArrayLike<number> = store.timestampsS, order?: number[]): MotionSeries {
  const { width, height } = store;
  const y0 = Math.max(0, Math.min(height - 1, Math.round((o.bandTop ?? 0) * height)));
  const y1 = Math.max(y0 + 1, Math.min(height, Math.round((o.bandBottom ?? 0.4) * height)));
  const maxShift = o.maxShiftPx ?? Math.max(2, Math.round(width / 10));
  const frames = order ?? Array.from({ length: store.count }, (_, i) => i);
  const n = Math.max(0, frames.length - 1);
  const out: MotionSeries = { tS: new Float64Array(n), dtS: new Float64Array(n), leftPx: new Float64Array(n), change: new Float64Array(n), width };
  const buf = new Uint8Array(width * height * 3);
  let prev = frames.length > 0 ? grayBand(store.read(frames[0], buf), width, y0, y1) : null;
  for (let j = 1; j < frames.length; j++) {
    const [a, b] = [frames[j - 1], frames[j]];
    const cur = grayBand(store.read(b, buf), width, y0, y1);
    out.tS[j - 1] = (timesS[a] + timesS[b]) / 2;
    out.dtS[j - 1] = timesS[b] - timesS[a];
    out.leftPx[j - 1] = -sideShift(prev!, cur, width, y1 - y0, maxShift);
    out.change[j - 1] = meanAbsDiff(prev!, cur);
    prev = cur;
  }
  return out;
}
