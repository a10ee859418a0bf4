/**
 * Steering-angle statistics in degrees, skipping NaN and +-Inf (dropped
 * frames are NaN in aligned arrays).
 */
import { z } from 'zod';
import { finiteMoments, niceStep } from '../math/stats.ts';

/** Angle statistics in degrees over the finite angles of a drive. */
export const AngleStats = z.object({
  /** Number of finite angles used. */
  n: z.number().int(),
  /** NaN when n = 0 (JSON shows null). */
  minDeg: z.number(),
  maxDeg: z.number(),
  meanDeg: z.number(),
  /** Population standard deviation (divides by n). */
  stdDeg: z.number(),
  /** Bins of equal width centred on multiples of the width, so one bin is centred on 0 deg (straight). */
  histogram: z.object({ edgesDeg: z.array(z.number()), counts: z.array(z.number().int()) }),
});
export type AngleStats = z.infer<typeof AngleStats>;

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
