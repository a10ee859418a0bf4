/**
 * A suggested road crop, from the drive itself (pure: frames in, numbers
 * out; video/sample.ts decodes the frames).
 *
 * The road changes all the time; the sky at the top and the car's bonnet at
 * the bottom barely change over a drive. For each row of a sample of frames
 * we measure how much the row's *structure* varies over time: every pixel
 * minus its row's mean colour in that frame, then the standard deviation of
 * that over the frames, averaged along the row (grey levels, 0-255). Taking
 * the row mean out first makes a uniform sky score low even when the light
 * changes; lane markings and road edges that sweep sideways score high.
 * Bands of low-scoring rows touching the top or bottom edge become the crop.
 */
import { z } from 'zod';

/** Rows scoring under this fraction of the road's typical score (75th percentile of rows) count as stable. */
const STABLE_FRACTION = 0.25;
/** Below this road score (grey levels) the picture hardly changes at all: nothing to compare against. */
const MIN_ROAD_SCORE = 2;
/** Never suggest cropping more than this fraction of the picture's height. */
export const MAX_CROP_FRACTION = 0.6;
/** A stable band thinner than this fraction of the height is noise, not sky or bonnet. */
const MIN_BAND_FRACTION = 0.03;
/** Fewer frames or rows than these cannot show what varies over a drive. */
const MIN_FRAMES = 4;
const MIN_ROWS = 8;

const Px = z.number().int().nonnegative();
const Rows = z.object({ from: Px, to: Px }).describe('source rows, inclusive');

export const CropSuggestion = z.object({
  /** The suggested crop in source pixels (left and right stay 0: the bands are rows). */
  crop: z.object({ top: Px, bottom: Px, left: Px, right: Px }),
  /** False when no stable band was found or the guard refused it (then crop is all zeros). */
  found: z.boolean(),
  /** One sentence with the evidence, for a person. */
  reason: z.string(),
  /** Stable rows at the top and bottom (source rows, inclusive), before the guard; null when none. */
  topRows: Rows.nullable(),
  bottomRows: Rows.nullable(),
  /** Per sampled row, top to bottom: structure variation over the drive, grey levels (0-255). */
  rowScores: z.array(z.number()),
  /** Source rows per entry of rowScores (the sample is decoded smaller than the source). */
  rowHeightPx: z.number().positive(),
  /** Typical road score (75th percentile of rowScores) and the stable threshold, grey levels. */
  roadScore: z.number(),
  thresholdScore: z.number(),
  /** How many frames were sampled. */
  frames: z.number().int().nonnegative(),
});
export type CropSuggestion = z.infer<typeof CropSuggestion>;

/**
 * Structure variation per row, grey levels: for each frame, each pixel minus
 * its row's mean (per channel); then the standard deviation over frames per
 * pixel and channel, averaged along the row.
 */
export function rowStructureScores(frames: readonly Uint8Array[], width: number, height: number): Float64Array {
  const stride = width * 3;
  const sum = new Float64Array(height * stride);
  const sq = new Float64Array(height * stride);
  const mean = new Float64Array(3);
  for (const f of frames) {
    if (f.length !== height * stride) throw new Error(`rowStructureScores: expected ${height * stride} bytes per frame, got ${f.length}`);
    for (let y = 0; y < height; y++) {
      const o = y * stride;
      mean.fill(0);
      for (let i = 0; i < stride; i++) mean[i % 3] += f[o + i];
      for (let c = 0; c < 3; c++) mean[c] /= width;
      for (let i = 0; i < stride; i++) {
        const r = f[o + i] - mean[i % 3];
        sum[o + i] += r;
        sq[o + i] += r * r;
      }
    }
  }
  const n = Math.max(1, frames.length);
  const scores = new Float64Array(height);
  for (let y = 0; y < height; y++) {
    let s = 0;
    for (let i = y * stride; i < (y + 1) * stride; i++) {
      const m = sum[i] / n;
      s += Math.sqrt(Math.max(0, sq[i] / n - m * m));
    }
    scores[y] = s / stride;
  }
  return scores;
}

function quantile(xs: Float64Array, q: number): number {
  const s = Float64Array.from(xs).sort();
  return s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

/** How many leading entries of xs (in the given order) are below the threshold. */
function leadingBelow(xs: ArrayLike<number>, threshold: number, fromEnd: boolean): number {
  let k = 0;
  while (k < xs.length && xs[fromEnd ? xs.length - 1 - k : k] < threshold) k++;
  return k;
}

export interface SuggestOptions {
  /** Height of the source picture in pixels; the frames are it scaled to `height` rows. */
  sourceHeight: number;
}

/**
 * Suggests {top, bottom, left: 0, right: 0} in source pixels from frames
 * spread over a drive (RGB, width*height*3 bytes each). Returns no crop, and
 * says why, when nothing is stable, the picture never changes, too little
 * was sampled, or the stable bands would take more than MAX_CROP_FRACTION
 * of the height.
 */
export function suggestCrop(frames: readonly Uint8Array[], width: number, height: number, o: SuggestOptions): CropSuggestion {
  const rowHeightPx = o.sourceHeight / Math.max(1, height);
  const none = { top: 0, bottom: 0, left: 0, right: 0 };
  const base = { crop: none, found: false, topRows: null, bottomRows: null, rowScores: [] as number[], rowHeightPx, roadScore: 0, thresholdScore: 0, frames: frames.length };
  if (frames.length < MIN_FRAMES || height < MIN_ROWS || width < 1) {
    return { ...base, reason: `too little to go on (${frames.length} frames of ${height}x${width} px sampled; at least ${MIN_FRAMES} frames of ${MIN_ROWS} rows needed): no crop suggested` };
  }
  const scores = rowStructureScores(frames, width, height);
  const roadScore = quantile(scores, 0.75);
  const thresholdScore = STABLE_FRACTION * roadScore;
  const rowScores = Array.from(scores, (s) => Number(s.toFixed(2)));
  const measured = { ...base, rowScores, roadScore: Number(roadScore.toFixed(2)), thresholdScore: Number(thresholdScore.toFixed(2)) };
  if (roadScore < MIN_ROAD_SCORE) {
    return { ...measured, reason: `the picture hardly changes over the drive (row variation at most ${roadScore.toFixed(1)} grey levels in ${frames.length} frames): no stable band to tell from the road, no crop suggested` };
  }
  const minBand = Math.max(1, Math.ceil(MIN_BAND_FRACTION * height));
  const bandOrZero = (k: number) => (k >= minBand ? k : 0);
  const topK = bandOrZero(leadingBelow(scores, thresholdScore, false));
  const bottomK = topK === height ? 0 : bandOrZero(leadingBelow(scores, thresholdScore, true));
  // Sample rows to source pixels, rounded down to even (conservative, and yuv 4:2:0 crops by 2 px).
  const px = (k: number) => Math.floor((k * rowHeightPx) / 2) * 2;
  const top = px(topK);
  const bottom = px(bottomK);
  const topRows = top > 0 ? { from: 0, to: top - 1 } : null;
  const bottomRows = bottom > 0 ? { from: o.sourceHeight - bottom, to: o.sourceHeight - 1 } : null;
  const bands = describeBands(topRows, bottomRows);
  const levels = `row variation under ${thresholdScore.toFixed(1)} grey levels, against ${roadScore.toFixed(1)} for a typical row, over ${frames.length} frames`;
  if (!topRows && !bottomRows) {
    const edge = (s: number) => s.toFixed(1);
    return {
      ...measured,
      reason: `no band at the top or bottom varies much less than the rest: the top row varies by ${edge(scores[0])} and the bottom row by ${edge(scores[height - 1])} grey levels, against ${roadScore.toFixed(1)} for a typical row (stable means under ${thresholdScore.toFixed(1)}; ${frames.length} frames): no crop suggested`,
    };
  }
  if (top + bottom > MAX_CROP_FRACTION * o.sourceHeight) {
    return {
      ...measured, topRows, bottomRows,
      reason: `${bands} vary least (${levels}), but cropping them would remove ${Math.round((100 * (top + bottom)) / o.sourceHeight)}% of the height (more than ${100 * MAX_CROP_FRACTION}%): no crop suggested; look at the video`,
    };
  }
  const crop = { top, bottom, left: 0, right: 0 };
  return { ...measured, crop, found: true, topRows, bottomRows, reason: `${bands} vary least over the drive (${levels}): suggested --crop ${cropText(crop)}` };
}

function describeBands(topRows: z.infer<typeof Rows> | null, bottomRows: z.infer<typeof Rows> | null): string {
  const parts = [
    ...(topRows ? [`rows ${topRows.from}-${topRows.to} (probably sky)`] : []),
    ...(bottomRows ? [`rows ${bottomRows.from}-${bottomRows.to} (probably the bonnet)`] : []),
  ];
  return parts.join(' and ');
}

/** TOP,BOTTOM,LEFT,RIGHT as `--crop` takes it. */
export function cropText(c: { top: number; bottom: number; left: number; right: number }): string {
  return `${c.top},${c.bottom},${c.left},${c.right}`;
}
