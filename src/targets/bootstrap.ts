/**
 * Paired block bootstrap of the difference in validation error between two
 * cells of an experiment (e.g. tanh/normalized vs linear/normalized), each
 * trained with one or more seeds on the same validation frames.
 *
 * Neighbouring dashcam frames are near duplicates, so resampling single
 * frames would pretend there are far more independent samples than there
 * are and give intervals that are too narrow. The validation frames are cut
 * into contiguous chunks (about one second of driving, never across a
 * validation block's edge) and whole chunks are resampled with replacement.
 * The same chunks are used for both cells (paired: both are judged on the
 * same resampled road). Seed-to-seed noise enters too: in every replicate
 * each cell's seeds are themselves resampled with replacement, and the
 * cell's error is the mean over the drawn seeds. With one seed per cell the
 * interval reflects only the frames, which the caller must say.
 *
 * Errors are in steering-wheel degrees: RMSE = sqrt(mean squared error),
 * MAE = mean |error|, over frames whose true angle is finite.
 */
import { createRng } from '../rng.ts';

export type ErrorMetric = 'rmse' | 'mae';

export interface PairedBootstrapInput {
  /** True angles of the validation frames, in time order (degrees). */
  trueDeg: ArrayLike<number>;
  /** Predictions of cell A, one array per seed, aligned with trueDeg (degrees). */
  a: ArrayLike<number>[];
  /** Predictions of cell B, one array per seed (degrees). */
  b: ArrayLike<number>[];
  /** Chunk id of every frame (frames of one chunk are resampled together), see chunkIds(). */
  chunks: Int32Array;
  metric: ErrorMetric;
  /** Bootstrap replicates (default 2000). */
  resamples?: number;
  seed?: number;
}

export interface PairedBootstrapResult {
  /** Error of A minus error of B on all frames, each the mean over its seeds (degrees; negative = A better). */
  meanDiffDeg: number;
  /** 2.5th and 97.5th percentiles of the replicated difference (degrees). */
  ci95: [number, number];
  verdict: 'a-better' | 'b-better' | 'no-difference';
  chunks: number;
  resamples: number;
}

/**
 * Chunk ids for validation frames given as dataset sample indices in time
 * order: a new chunk starts every `chunkLen` frames and wherever the sample
 * indices jump (the edge of a validation block).
 */
export function chunkIds(sampleIndex: ArrayLike<number>, chunkLen: number): Int32Array {
  const len = Math.max(1, Math.floor(chunkLen));
  const ids = new Int32Array(sampleIndex.length);
  let id = -1;
  let inChunk = len;
  for (let i = 0; i < sampleIndex.length; i++) {
    if (inChunk >= len || (i > 0 && sampleIndex[i] !== sampleIndex[i - 1] + 1)) {
      id++;
      inChunk = 0;
    }
    ids[i] = id;
    inChunk++;
  }
  return ids;
}

/**
 * First lag (in frames) at which the autocorrelation of `series` falls below
 * 0.1: how far apart two frames must be before their errors are nearly
 * independent. Capped at maxLag; non-finite values are skipped as 0.
 */
export function decorrelationLag(series: ArrayLike<number>, maxLag: number): number {
  const n = series.length;
  const x = Float64Array.from(series, (v) => (Number.isFinite(v) ? v : 0));
  const mean = x.reduce((a, v) => a + v, 0) / Math.max(1, n);
  for (let i = 0; i < n; i++) x[i] -= mean;
  const c0 = x.reduce((a, v) => a + v * v, 0);
  if (c0 === 0) return 1;
  for (let lag = 1; lag <= Math.min(maxLag, n - 1); lag++) {
    let c = 0;
    for (let i = lag; i < n; i++) c += x[i] * x[i - lag];
    if (c / c0 < 0.1) return lag;
  }
  return Math.min(maxLag, Math.max(1, n - 1));
}

/** Per chunk and seed: the sum of the chosen error (squared or absolute) and the frame count. */
function chunkSums(pred: ArrayLike<number>[], trueDeg: ArrayLike<number>, chunks: Int32Array, k: number, metric: ErrorMetric) {
  const err = pred.map(() => new Float64Array(k));
  const n = new Float64Array(k);
  for (let i = 0; i < trueDeg.length; i++) {
    const t = trueDeg[i];
    if (!Number.isFinite(t)) continue;
    n[chunks[i]]++;
    pred.forEach((p, s) => {
      const e = p[i] - t;
      err[s][chunks[i]] += metric === 'rmse' ? e * e : Math.abs(e);
    });
  }
  return { err, n };
}

function finish(sum: number, count: number, metric: ErrorMetric): number {
  const m = sum / count;
  return metric === 'rmse' ? Math.sqrt(m) : m;
}

/** The q-quantile (0..1) of sorted values, linearly interpolated. */
function quantile(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** See the module comment. Throws on mismatched lengths or a cell without predictions. */
export function pairedBlockBootstrap(o: PairedBootstrapInput): PairedBootstrapResult {
  const n = o.trueDeg.length;
  if (o.a.length === 0 || o.b.length === 0) throw new Error('pairedBlockBootstrap: each cell needs at least one seed');
  for (const p of [...o.a, ...o.b]) if (p.length !== n) throw new Error(`pairedBlockBootstrap: ${p.length} predictions for ${n} frames`);
  if (o.chunks.length !== n) throw new Error(`pairedBlockBootstrap: ${o.chunks.length} chunk ids for ${n} frames`);
  const k = n === 0 ? 0 : o.chunks[n - 1] + 1;
  const resamples = o.resamples ?? 2000;
  const A = chunkSums(o.a, o.trueDeg, o.chunks, k, o.metric);
  const B = chunkSums(o.b, o.trueDeg, o.chunks, k, o.metric);
  const total = (x: Float64Array) => x.reduce((s, v) => s + v, 0);
  const count = total(A.n);
  if (count === 0) return { meanDiffDeg: NaN, ci95: [NaN, NaN], verdict: 'no-difference', chunks: k, resamples: 0 };
  const meanOver = (sums: Float64Array[], cnt: number, pick: (s: Float64Array) => number) =>
    sums.reduce((acc, s) => acc + finish(pick(s), cnt, o.metric), 0) / sums.length;
  const meanDiffDeg = meanOver(A.err, count, total) - meanOver(B.err, count, total);

  const rng = createRng(o.seed ?? 1);
  const weight = new Float64Array(k);
  const diffs = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    weight.fill(0);
    for (let j = 0; j < k; j++) weight[rng.int(k)]++;
    let cnt = 0;
    for (let c = 0; c < k; c++) cnt += weight[c] * A.n[c];
    if (cnt === 0) {
      diffs[r] = 0;
      continue;
    }
    const cellError = (err: Float64Array[]) => {
      let acc = 0;
      for (let s = 0; s < err.length; s++) {
        const e = err[rng.int(err.length)];
        let sum = 0;
        for (let c = 0; c < k; c++) sum += weight[c] * e[c];
        acc += finish(sum, cnt, o.metric);
      }
      return acc / err.length;
    };
    diffs[r] = cellError(A.err) - cellError(B.err);
  }
  diffs.sort();
  const ci95: [number, number] = [quantile(diffs, 0.025), quantile(diffs, 0.975)];
  const verdict = ci95[1] < 0 ? 'a-better' : ci95[0] > 0 ? 'b-better' : 'no-difference';
  return { meanDiffDeg, ci95, verdict, chunks: k, resamples };
}

/** Mean and sample standard deviation (n - 1; 0 for a single value) of finite values. */
export function meanSd(xs: number[]): { mean: number; sd: number } {
  const v = xs.filter(Number.isFinite);
  if (v.length === 0) return { mean: NaN, sd: NaN };
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) : 0;
  return { mean, sd };
}
