/**
 * Series shaping for the charts (pure): exponential smoothing of noisy
 * curves, and breaks where a series jumps over a gap in x (validation
 * blocks are separate stretches of the drive, not one continuous signal).
 */
import type { XY } from './decimate.ts';

/**
 * Exponential moving average with weight `w` in [0, 1) on the previous
 * value, debiased as TensorBoard does (the first points are not pulled
 * towards 0). w = 0 returns the points as they are; non-finite y values
 * pass through and do not enter the average.
 */
export function ema(points: readonly XY[], w: number): XY[] {
  if (!(w > 0)) return points.slice();
  const weight = Math.min(w, 0.999);
  let acc = 0;
  let n = 0;
  return points.map((p) => {
    if (!Number.isFinite(p.y)) return p;
    acc = acc * weight + (1 - weight) * p.y;
    n++;
    return { x: p.x, y: acc / (1 - weight ** n) };
  });
}

/**
 * The points with a break (y = NaN, which Chart.js does not join across)
 * wherever x advances by more than `gap`: the line stops at the end of one
 * block and starts again at the next.
 */
export function withGaps(points: readonly XY[], gap: number): XY[] {
  if (!(gap > 0) || points.length < 2) return points.slice();
  const out: XY[] = [points[0]];
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1];
    const b = points[i];
    if (b.x - a.x > gap) out.push({ x: (a.x + b.x) / 2, y: NaN });
    out.push(b);
  }
  return out;
}

/**
 * Where time jumps: the starts of each stretch of `timeS` after a jump of
 * more than `factor` times the typical (median) step, in seconds. Returns
 * the gap threshold (seconds) and the boundaries (midpoints of the jumps)
 * for drawing separators; no boundaries for one continuous stretch.
 */
export function timeBlocks(timeS: readonly number[], factor = 3): { gapS: number; boundariesS: number[] } {
  const dts: number[] = [];
  for (let i = 1; i < timeS.length; i++) {
    const d = timeS[i] - timeS[i - 1];
    if (d > 0 && Number.isFinite(d)) dts.push(d);
  }
  if (!dts.length) return { gapS: Infinity, boundariesS: [] };
  const sorted = dts.slice().sort((a, b) => a - b);
  const gapS = sorted[Math.floor(sorted.length / 2)] * factor;
  const boundariesS: number[] = [];
  for (let i = 1; i < timeS.length; i++) if (timeS[i] - timeS[i - 1] > gapS) boundariesS.push((timeS[i] + timeS[i - 1]) / 2);
  return { gapS, boundariesS };
}
