/**
 * Min-max decimation: keeps, per bucket of consecutive points, the first,
 * the minimum and the maximum, so spikes (a diverging loss) survive while a
 * 100,000-point series draws as a few thousand.
 */
export interface XY {
  x: number;
  y: number;
}

export function decimateMinMax(points: readonly XY[], maxPoints: number): XY[] {
  if (points.length <= maxPoints || maxPoints < 4) return points.slice();
  const buckets = Math.floor(maxPoints / 3);
  const size = points.length / buckets;
  const out: XY[] = [];
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor(b * size);
    const end = Math.min(points.length, Math.floor((b + 1) * size));
    if (end <= start) continue;
    let lo = start, hi = start;
    for (let i = start; i < end; i++) {
      const y = points[i].y;
      if (y < points[lo].y || !Number.isFinite(points[lo].y)) lo = i;
      if (y > points[hi].y || !Number.isFinite(points[hi].y)) hi = i;
    }
    const idx = [...new Set([start, lo, hi])].sort((a, c) => a - c);
    for (const i of idx) out.push(points[i]);
  }
  const last = points[points.length - 1];
  if (out[out.length - 1] !== last) out.push(last);
  return out;
}
