/**
 * Steering-angle statistics in degrees, skipping NaN and +-Inf (dropped
 * frames are NaN in aligned arrays).
 */

export interface AngleStats {
  /** Number of finite angles used. */
  n: number;
  /** NaN when n = 0 (JSON shows null). */
  minDeg: number;
  maxDeg: number;
  meanDeg: number;
  /** Population standard deviation (divides by n). */
  stdDeg: number;
  /** Bins of equal width centred on multiples of the width, so one bin is centred on 0 deg (straight). */
  histogram: { edgesDeg: number[]; counts: number[] };
}

/** 1, 2 or 5 times a power of ten, at least x. */
export function niceStep(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(x)));
  for (const m of [1, 2, 5, 10]) if (m * p >= x * (1 - 1e-12)) return m * p;
  return 10 * p;
}

/** Count, mean, population std, min and max of the finite values, and how many were not finite (NaN, +-Inf). */
export interface FiniteMoments {
  n: number;
  /** NaN (as are std, min and max) when n = 0. */
  mean: number;
  /** Population standard deviation (divides by n). */
  std: number;
  min: number;
  max: number;
  nonFinite: number;
}

/**
 * The one mean/std helper of the lab (angle statistics, target transforms,
 * baselines and diagnostics all use it). Two passes: the mean first, then
 * squared deviations from it, so a large mean (a drive that is mostly a
 * 400-degree curve, a pre-activation offset of 1e4) costs no precision.
 */
export function finiteMoments(values: ArrayLike<number>): FiniteMoments {
  let n = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    n++;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const nonFinite = values.length - n;
  if (n === 0) return { n, mean: NaN, std: NaN, min: NaN, max: NaN, nonFinite };
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) ss += (v - mean) * (v - mean);
  }
  return { n, mean, std: Math.sqrt(ss / n), min, max, nonFinite };
}

/** Min, max, mean, std and a histogram of about `bins` bins (default 21) symmetric around 0 deg. */
export function angleStats(anglesDeg: ArrayLike<number>, o: { bins?: number } = {}): AngleStats {
  const { n, mean, std, min, max } = finiteMoments(anglesDeg);
  if (n === 0) return { n, minDeg: NaN, maxDeg: NaN, meanDeg: NaN, stdDeg: NaN, histogram: { edgesDeg: [], counts: [] } };
  const maxAbs = Math.max(Math.abs(min), Math.abs(max));
  const bins = Math.max(1, Math.floor(o.bins ?? 21));
  const width = niceStep(maxAbs > 0 ? (2 * maxAbs) / bins : 1);
  const half = Math.max(0, Math.ceil(maxAbs / width - 0.5));
  const edgesDeg: number[] = [];
  for (let j = -half; j <= half + 1; j++) edgesDeg.push(Number(((j - 0.5) * width).toPrecision(12)));
  const counts = new Array<number>(edgesDeg.length - 1).fill(0);
  for (let i = 0; i < anglesDeg.length; i++) {
    const v = anglesDeg[i];
    if (!Number.isFinite(v)) continue;
    const b = Math.min(counts.length - 1, Math.max(0, Math.floor(v / width + 0.5) + half));
    counts[b]++;
  }
  return { n, minDeg: min, maxDeg: max, meanDeg: mean, stdDeg: std, histogram: { edgesDeg, counts } };
}
