/**
 * Axis choices of the charts (pure): a value range padded so that no line
 * runs along the plot's edge, and which heatmap columns carry a label.
 */

/**
 * The range of the finite values, widened on each side by `fraction` of its
 * span (at least `minPad`, in the values' own units, so a flat series gets
 * room too). Null when no value is finite. Not symmetric about 0: each side
 * gets the same margin beyond its own extreme, so nothing is cut and no
 * empty half is added.
 */
export function paddedRange(values: Iterable<number>, fraction = 0.05, minPad = 1): { min: number; max: number } | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo > hi) return null;
  const pad = Math.max((hi - lo) * fraction, minPad);
  return { min: lo - pad, max: hi + pad };
}

/** Strides a labelled column may take: 1, 2, 5, 10, 20, 50, … (every column, every 2nd, every 5th, …). */
function* niceStrides(): Generator<number> {
  for (let p = 1; ; p *= 10) for (const m of [1, 2, 5]) yield m * p;
}

/**
 * Which of `n` heatmap columns get a label: every `stride`-th column from the
 * first (indices 0, stride, 2·stride, …), with the smallest stride among
 * 1, 2, 5, 10, … whose labels fit side by side (`labelPx`: the widest
 * label's width plus a gap, `columnPx`: one column's width). Skipped
 * columns are thus always the same number between two labels.
 */
export function labelledColumns(n: number, columnPx: number, labelPx: number): { stride: number; indices: number[] } {
  if (n <= 0) return { stride: 1, indices: [] };
  let stride = 1;
  for (const s of niceStrides()) {
    stride = s;
    if (s * columnPx >= labelPx || s >= n) break;
  }
  const indices: number[] = [];
  for (let i = 0; i < n; i += stride) indices.push(i);
  return { stride, indices };
}
