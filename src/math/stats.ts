/**
 * Plain statistics of number arrays (no tensors, no I/O), importable from
 * every folder: data/, targets/ and diagnostics/ all take their mean and
 * standard deviation from here, so skipping NaN and +-Inf works the same way
 * everywhere.
 */

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
