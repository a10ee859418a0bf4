/**
 * The label-lag doctor's arithmetic (no video, no files): how many
 * milliseconds to add to label times so the steering lines up with a signal
 * measured from the video that moves at the same moment, here the yaw-rate
 * proxy of video/lag-features.ts. For every candidate offset the labels are
 * shifted, linearly interpolated at the video's sample times, and scored by
 * Pearson correlation with the video signal; the best offset is refined by
 * a parabola through its neighbours. How far that peak moves when each tenth
 * of the drive is left out in turn (a jackknife) says how much to trust it.
 *
 * Both signals are compressed first (x / (|x| + c), c a twentieth of a large
 * |x|), so the score weighs which way and when the car turns more than how
 * hard. Why: yaw rate is speed times curvature, and drivers brake into bends
 * and speed up out of them, so raw yaw rate peaks later in a bend than the
 * wheel angle does. On the synthetic drive that bends a plain correlation by
 * 100-150 ms; compressed, by under 25 ms.
 */

/** A signal sampled at increasing times in seconds. */
export interface TimedSeries {
  tS: ArrayLike<number>;
  value: ArrayLike<number>;
}

export interface LagOptions {
  /** Offsets searched: -maxLagMs to +maxLagMs (default 1000). */
  maxLagMs?: number;
  /** Spacing of the searched offsets, ms (default 10). */
  stepMs?: number;
  /** Contiguous blocks of the drive left out one at a time for the uncertainty (default 10). */
  blocks?: number;
  /** Label gaps longer than this are not interpolated across, seconds (default: 5 label intervals, at least 0.5). */
  maxGapS?: number;
  /** Compression scale as a fraction of the 90th percentile of |x| (default 0.05; 0 = plain correlation). */
  compress?: number;
}

export type LagEvidence = 'good' | 'weak' | 'none';

export interface LagResult {
  /** Milliseconds to add to label times (DatasetSpec.offsetMs, --offset-ms); null when there is no evidence. */
  offsetMs: number | null;
  /** |offsetMs| <= IN_STEP_MS: labels and video agree as far as yaw can tell (null without evidence). */
  inStep: boolean | null;
  /** 0-1: the peak correlation, discounted by the jackknife spread (see confidenceOf). */
  confidence: number;
  evidence: LagEvidence;
  /** Why the evidence is weak or missing, one sentence; null when good. */
  reason: string | null;
  /** Peak correlation between the video signal and the shifted labels. */
  peakScore: number;
  /** Jackknife standard error of the offset, ms (null without a peak inside the range). */
  uncertaintyMs: number | null;
  /** Samples scored at every offset. */
  samples: number;
  curve: { offsetMs: number; score: number }[];
}

/** Peak correlation below which the curve is noise (`evidence: 'none'`). */
export const MIN_PEAK_SCORE = 0.15;
/** Confidence below which the estimate is called weak. */
export const WEAK_CONFIDENCE = 0.5;
/**
 * Offsets this small (ms) count as in step: a car's yaw follows its wheel by
 * about a tenth of a second (tyres and body take time to turn the car), so a
 * yaw-based estimate of correctly timed labels lands a little above 0 (80 and
 * 118 ms on two Udacity simulator logs, whose labels are at image times).
 */
export const IN_STEP_MS = 150;

/** Linear interpolation of a series at t; NaN outside it or across a gap longer than maxGapS. */
function interpAt(s: TimedSeries, t: number, maxGapS: number, hint: { i: number }): number {
  const n = s.tS.length;
  if (n === 0 || t < s.tS[0] || t > s.tS[n - 1]) return NaN;
  let i = Math.min(Math.max(0, hint.i), n - 2);
  while (i > 0 && s.tS[i] > t) i--;
  while (i < n - 2 && s.tS[i + 1] < t) i++;
  hint.i = i;
  const t0 = s.tS[i];
  const t1 = s.tS[Math.min(i + 1, n - 1)];
  if (t1 - t0 > maxGapS) return NaN;
  const a = t1 > t0 ? (t - t0) / (t1 - t0) : 0;
  return s.value[i] + (s.value[Math.min(i + 1, n - 1)] - s.value[i]) * a;
}

/**
 * x / (|x| + c) with c = frac * the 90th percentile of the finite |x|: near
 * +-1 wherever the signal is clearly away from 0, linear near 0 (see the
 * module comment). Unchanged when frac is 0 or the signal is all zeros.
 */
export function compress(x: ArrayLike<number>, frac: number): Float64Array {
  const a: number[] = [];
  for (let i = 0; i < x.length; i++) if (Number.isFinite(x[i])) a.push(Math.abs(x[i]));
  a.sort((p, q) => p - q);
  const c = frac * (a.length ? a[Math.floor(0.9 * (a.length - 1))] : 0);
  return Float64Array.from(x, (v) => (c > 0 ? v / (Math.abs(v) + c) : v));
}

function medianSpacing(t: ArrayLike<number>): number {
  const d: number[] = [];
  for (let i = 1; i < t.length; i++) d.push(t[i] - t[i - 1]);
  d.sort((a, b) => a - b);
  return d.length ? d[d.length >> 1] : 0;
}

/** Pearson correlation from running sums (0 when either side is constant). */
function corr(s: Float64Array): number {
  const [n, sx, sy, sxx, syy, sxy] = s;
  const vx = sxx - (sx * sx) / n;
  const vy = syy - (sy * sy) / n;
  return n > 2 && vx > 0 && vy > 0 ? (sxy - (sx * sy) / n) / Math.sqrt(vx * vy) : 0;
}

/** Index of the largest score and the sub-step position of a parabola through it and its neighbours (null at an edge). */
function peakOf(scores: ArrayLike<number>): { i: number; frac: number | null } {
  let i = 0;
  for (let k = 1; k < scores.length; k++) if (scores[k] > scores[i]) i = k;
  if (i === 0 || i === scores.length - 1) return { i, frac: null };
  const [l, c, r] = [scores[i - 1], scores[i], scores[i + 1]];
  const den = l - 2 * c + r;
  return { i, frac: den < 0 ? Math.max(-0.5, Math.min(0.5, (0.5 * (l - r)) / den)) : 0 };
}

/**
 * Sums [n, Σx, Σy, Σxx, Σyy, Σxy] per block and offset: x the video signal,
 * y the labels shifted by each offset. Only samples valid at every offset
 * count, so every point of the curve scores the same moments.
 */
function blockSums(video: TimedSeries, labels: TimedSeries, offsetsMs: number[], blocks: number, maxGapS: number): { sums: Float64Array[][]; samples: number } {
  const n = video.tS.length;
  const ys = offsetsMs.map(() => new Float64Array(n));
  const ok = new Uint8Array(n).fill(1);
  offsetsMs.forEach((d, k) => {
    const hint = { i: 0 };
    for (let j = 0; j < n; j++) {
      const y = Number.isFinite(video.value[j]) ? interpAt(labels, video.tS[j] - d / 1000, maxGapS, hint) : NaN;
      ys[k][j] = y;
      if (!Number.isFinite(y)) ok[j] = 0;
    }
  });
  const idx: number[] = [];
  for (let j = 0; j < n; j++) if (ok[j]) idx.push(j);
  const sums = Array.from({ length: blocks }, () => offsetsMs.map(() => new Float64Array(6)));
  idx.forEach((j, q) => {
    const b = Math.min(blocks - 1, Math.floor((q * blocks) / idx.length));
    const x = video.value[j];
    for (let k = 0; k < offsetsMs.length; k++) {
      const y = ys[k][j];
      const s = sums[b][k];
      s[0] += 1;
      s[1] += x;
      s[2] += y;
      s[3] += x * x;
      s[4] += y * y;
      s[5] += x * y;
    }
  });
  return { sums, samples: idx.length };
}

/** Correlation per offset from the block sums, leaving out block `skip` (-1: none). */
function curveWithout(sums: Float64Array[][], skip: number): Float64Array {
  const lags = sums[0].length;
  const out = new Float64Array(lags);
  const acc = new Float64Array(6);
  for (let k = 0; k < lags; k++) {
    acc.fill(0);
    sums.forEach((b, bi) => {
      if (bi !== skip) for (let c = 0; c < 6; c++) acc[c] += b[k][c];
    });
    out[k] = corr(acc);
  }
  return out;
}

/** Confidence in [0, 1]: the peak correlation, halved when the jackknife spread reaches 50 ms. */
export function confidenceOf(peakScore: number, uncertaintyMs: number): number {
  return Math.max(0, Math.min(1, peakScore)) / (1 + (uncertaintyMs / 50) ** 2);
}

/**
 * Estimates the label offset (ms to add to label times) that best lines up
 * `labels` with `video`, a signal measured from the frames that moves at the
 * same moment as the steering (same sign). See LagResult.
 */
export function estimateLag(video: TimedSeries, labels: TimedSeries, o: LagOptions = {}): LagResult {
  const maxLagMs = o.maxLagMs ?? 1000;
  const stepMs = o.stepMs ?? 10;
  const blocks = Math.max(2, o.blocks ?? 10);
  const maxGapS = o.maxGapS ?? Math.max(0.5, 5 * medianSpacing(labels.tS));
  const offsetsMs: number[] = [];
  for (let d = -maxLagMs; d <= maxLagMs + 1e-9; d += stepMs) offsetsMs.push(Math.round(d * 1000) / 1000);
  const frac = o.compress ?? 0.05;
  const x = { tS: video.tS, value: compress(video.value, frac) };
  const y = { tS: labels.tS, value: compress(labels.value, frac) };
  const { sums, samples } = blockSums(x, y, offsetsMs, blocks, maxGapS);
  const full = curveWithout(sums, -1);
  const curve = offsetsMs.map((d, k) => ({ offsetMs: d, score: Number(full[k].toFixed(4)) }));
  const none = (reason: string, peakScore = 0): LagResult => ({ offsetMs: null, inStep: null, confidence: 0, evidence: 'none', reason, peakScore, uncertaintyMs: null, samples, curve });
  if (samples < 10 * blocks) return none(`only ${samples} moments have both video motion and labels at every offset; a lag needs a longer drive`);
  const peak = peakOf(full);
  const peakScore = Number(full[peak.i].toFixed(4));
  if (peakScore < MIN_PEAK_SCORE) return none(`the sideways motion of the picture does not follow the steering (best correlation ${peakScore.toFixed(2)} < ${MIN_PEAK_SCORE})`, peakScore);
  if (peak.frac === null) return none(`the best match is at the edge of the searched range (${offsetsMs[peak.i]} ms); search wider`, peakScore);
  const offsetMs = offsetsMs[peak.i] + peak.frac * stepMs;
  // Jackknife: the peak with each block left out; a peak at the range edge counts as that edge.
  const loo: number[] = [];
  for (let b = 0; b < blocks; b++) {
    const p = peakOf(curveWithout(sums, b));
    loo.push(offsetsMs[p.i] + (p.frac ?? 0) * stepMs);
  }
  const mean = loo.reduce((a, x) => a + x, 0) / blocks;
  const uncertaintyMs = Math.sqrt(((blocks - 1) / blocks) * loo.reduce((a, x) => a + (x - mean) ** 2, 0));
  const confidence = Number(confidenceOf(peakScore, uncertaintyMs).toFixed(3));
  const weak = confidence < WEAK_CONFIDENCE;
  return {
    offsetMs: Math.round(offsetMs),
    inStep: Math.abs(offsetMs) <= IN_STEP_MS,
    confidence,
    evidence: weak ? 'weak' : 'good',
    reason: weak ? `correlation ${peakScore.toFixed(2)}, offset uncertain by about ${Math.round(uncertaintyMs)} ms` : null,
    peakScore,
    uncertaintyMs: Math.round(uncertaintyMs),
    samples,
    curve,
  };
}

/**
 * The --offset-ms to use, or null when there is no evidence: in step means keep 0
 * (a car's yaw trails its wheel by about 0.1 s, so correctly timed labels measure a little above 0).
 */
export function suggestedOffsetMs(r: Pick<LagResult, 'offsetMs' | 'inStep'>): number | null {
  return r.offsetMs === null ? null : r.inStep ? 0 : r.offsetMs;
}
