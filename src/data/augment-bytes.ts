/**
 * The augmentation of augment.ts fused with the uint8 -> [0, 1] scaling, bit
 * for bit: augmentBytesInto in one pass over the pixels, or split into the
 * seeded draws (drawPixelPlan) and the pixel pass (applyPixelPlan) so that
 * they can run on different threads (raw-batch.ts).
 */
import { augmentInPlace, type AugmentConfig } from './augment.ts';
import type { Rng } from '../rng.ts';

/** UNIT[v] = v / 255 as float32: the [0, 1] value of a uint8 pixel (a lookup gives the very numbers of the division). */
export const UNIT = Float32Array.from({ length: 256 }, (_, v) => v / 255);
/** UNIT's float32 values as bits: copying bits skips a float32 -> float64 -> float32 round trip per value. */
export const UNIT_BITS = new Int32Array(UNIT.buffer.slice(0));

/**
 * Up to this many values, a float64 sum of UNIT values is exact whatever the
 * order and grouping: every UNIT[u] is a multiple of 2^-31 (1/255, the
 * smallest nonzero value, lies in [2^-8, 2^-7), where the float32 step is
 * 2^-31) and at most 1, so every partial sum, and every count[u] * UNIT[u], is
 * an integer times 2^-31 with the integer at most 2^22 * 2^31 = 2^53. (A
 * 1024x1024x3 input, the largest, has 3,145,728 < 2^22 values.)
 */
export const EXACT_SUM_VALUES = 2 ** 22;

// Scratch space (one image at a time, synchronous: safe to share).
const hist4 = new Int32Array(4 * 256);
const tableBits = new Int32Array(256);
let colSrc = new Int32Array(0);

/** hist[u] = how many of px[0 .. n) equal u (four interleaved counts, so equal neighbours do not wait on each other). */
function histogram(px: Uint8Array, n: number): Int32Array {
  const hc = hist4;
  hc.fill(0);
  let p = 0;
  if ((px.byteOffset & 3) === 0) {
    const words = new Uint32Array(px.buffer, px.byteOffset, n >> 2);
    for (let i = 0; i < words.length; i++) {
      const v = words[i];
      hc[v & 255]++;
      hc[256 + ((v >>> 8) & 255)]++;
      hc[512 + ((v >>> 16) & 255)]++;
      hc[768 + (v >>> 24)]++;
    }
    p = words.length * 4;
  }
  for (; p < n; p++) hc[px[p]]++;
  for (let u = 0; u < 256; u++) hc[u] += hc[256 + u] + hc[512 + u] + hc[768 + u];
  return hc;
}

/**
 * The float64 sum of UNIT[px[p]] for p < n, equal to the sequential sum
 * `for (p ...) s += UNIT[px[p]]` (so to the sum brightnessContrastInPlace
 * takes of the scaled image, in any pixel order): from a 256-bin histogram
 * when that is exact (EXACT_SUM_VALUES), else sequentially.
 */
export function unitSum(px: Uint8Array, n: number): number {
  let sum = 0;
  if (n > EXACT_SUM_VALUES) {
    for (let p = 0; p < n; p++) sum += UNIT[px[p]];
    return sum;
  }
  const hc = histogram(px, n);
  for (let u = 0; u < 256; u++) sum += hc[u] * UNIT[u];
  return sum;
}

/**
 * out[off .. off + h*w*c) = augmentInPlace of the image px (uint8, HWC)
 * scaled to [0, 1] by UNIT, with the same draws from rng in the same order:
 * the same float32 bits and the same angle (test/data/augment-fused.test.ts).
 * No cfg or no rng = scaling only, no draws. `outBits` is an Int32Array on
 * out's memory (same buffer, same offset): values are written as bits.
 * `pxSum`, if given, must be unitSum(px, h*w*c) (callers that see a frame
 * again can keep it: it does not depend on the draws).
 *
 * One pass over the pixels instead of five (scale, flip, shift, mean, adjust):
 * - flip and shift only move pixels: output pixel (y, x) is source pixel
 *   (y, col[x]), col from both (a flip alone reads the row mirrored);
 * - brightness/contrast maps each value p, one of the 256 UNIT values, to
 *   v = (p - mean) * k + mean + b clamped to [0, 1]: a per-image 256-entry
 *   table, filled with the very float64 expression of
 *   brightnessContrastInPlace, gives each pixel's float32 result;
 * - the mean is the sum of the output's values over their count: unitSum of
 *   the source, corrected for the columns a shift drops or repeats.
 * Returns the augmented angle in degrees.
 */
export function augmentBytesInto(
  out: Float32Array,
  outBits: Int32Array,
  off: number,
  px: Uint8Array,
  h: number,
  w: number,
  c: number,
  angleDeg: number,
  cfg: AugmentConfig | null,
  rng: Rng | undefined,
  pxSum?: number,
): number {
  const n = h * w * c;
  if (!cfg || !rng) {
    copyThrough(outBits, off, px, n, UNIT_BITS);
    return angleDeg;
  }
  if (n > EXACT_SUM_VALUES) {
    const img = out.subarray(off, off + n);
    for (let p = 0; p < n; p++) img[p] = UNIT[px[p]];
    return augmentInPlace(img, h, w, c, angleDeg, cfg, rng);
  }
  const plan = drawPixelPlan(px, h, w, c, angleDeg, cfg, rng, pxSum, tableBits);
  applyPixelPlan(outBits, off, px, h, w, c, plan.flip, plan.shift, plan.table ? tableBits : UNIT_BITS);
  return plan.angle;
}

/** What augmentation drew for one image: how the pixel pass (applyPixelPlan) moves and maps its pixels, and the angle. */
export interface PixelPlan {
  /** The augmented angle in degrees. */
  angle: number;
  flip: boolean;
  /** Horizontal shift in pixels (0 = none). */
  shift: number;
  /** Whether brightness/contrast filled a value table (in the caller's tableOut); false = plain scaling (UNIT_BITS). */
  table: boolean;
}

/**
 * The draws of augmentInPlace for the image px (uint8, HWC, at most
 * EXACT_SUM_VALUES values), in its order, with its angle arithmetic; a
 * brightness/contrast draw fills tableOut (256 float32 bits: each uint8
 * value's output). With applyPixelPlan this is augmentBytesInto, split so
 * that the draws (sequential, seeded) and the pixel pass (per image,
 * independent) can run on different threads. `pxSum` as in augmentBytesInto.
 */
export function drawPixelPlan(
  px: Uint8Array,
  h: number,
  w: number,
  c: number,
  angleDeg: number,
  cfg: AugmentConfig,
  rng: Rng,
  pxSum: number | undefined,
  tableOut: Int32Array,
): PixelPlan {
  const n = h * w * c;
  if (n > EXACT_SUM_VALUES) throw new RangeError(`drawPixelPlan: ${n} values per image is more than the exact-sum limit ${EXACT_SUM_VALUES}`);
  let angle = angleDeg;
  const flip = cfg.flip && rng.next() < 0.5;
  if (flip) angle = -angle;
  let s = 0;
  if (cfg.shiftPx > 0) {
    s = rng.int(2 * cfg.shiftPx + 1) - cfg.shiftPx;
    angle += s * cfg.shiftDegPerPx;
  }
  let table = false;
  if (cfg.brightness > 0 || cfg.contrast > 0) {
    const b = cfg.brightness > 0 ? rng.uniform(-cfg.brightness, cfg.brightness) : 0;
    const k = cfg.contrast > 0 ? rng.uniform(1 - cfg.contrast, 1 + cfg.contrast) : 1;
    // Flipped or not, the output holds the source's values; a shift drops some columns and repeats an edge one.
    let mean = pxSum ?? unitSum(px, n);
    if (s !== 0) mean = shiftedSum(mean, px, h, w, c, columns(w, flip, s));
    mean /= n || 1;
    const f = new Float32Array(tableOut.buffer, tableOut.byteOffset, 256);
    for (let u = 0; u < 256; u++) {
      const v = (UNIT[u] - mean) * k + mean + b;
      f[u] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
    table = true;
  }
  // -0 would print as "-0" in logs; a flipped straight stays 0.
  return { angle: angle === 0 ? 0 : angle, flip, shift: s, table };
}

/**
 * The pixel pass of a PixelPlan: outBits[off .. off + h*w*c) = lut[px[...]]
 * with the plan's flip and shift applied to the columns. lut: the plan's
 * table, or UNIT_BITS when it has none.
 */
export function applyPixelPlan(outBits: Int32Array, off: number, px: Uint8Array, h: number, w: number, c: number, flip: boolean, shift: number, lut: Int32Array): void {
  const col = shift !== 0 ? columns(w, flip, shift) : null;
  if (col && c === 3) {
    for (let y = 0; y < h; y++) {
      const row = y * w;
      let dst = off + row * 3;
      for (let x = 0; x < w; x++, dst += 3) {
        const src = (row + col[x]) * 3;
        outBits[dst] = lut[px[src]];
        outBits[dst + 1] = lut[px[src + 1]];
        outBits[dst + 2] = lut[px[src + 2]];
      }
    }
  } else if (col) {
    for (let y = 0; y < h; y++) {
      const row = y * w;
      for (let x = 0; x < w; x++) {
        const src = (row + col[x]) * c;
        const dst = off + (row + x) * c;
        for (let ch = 0; ch < c; ch++) outBits[dst + ch] = lut[px[src + ch]];
      }
    }
  } else if (flip && c === 3) {
    const stride = w * 3;
    for (let y = 0; y < h; y++) {
      const row = y * stride;
      let dst = off + row;
      for (let src = row + stride - 3; src >= row; src -= 3, dst += 3) {
        outBits[dst] = lut[px[src]];
        outBits[dst + 1] = lut[px[src + 1]];
        outBits[dst + 2] = lut[px[src + 2]];
      }
    }
  } else if (flip) {
    for (let y = 0; y < h; y++) {
      const row = y * w;
      for (let x = 0; x < w; x++) {
        const src = (row + w - 1 - x) * c;
        const dst = off + (row + x) * c;
        for (let ch = 0; ch < c; ch++) outBits[dst + ch] = lut[px[src + ch]];
      }
    }
  } else {
    copyThrough(outBits, off, px, h * w * c, lut);
  }
}

/** outBits[off + p] = lut[px[p]] for p < n. */
function copyThrough(outBits: Int32Array, off: number, px: Uint8Array, n: number, lut: Int32Array): void {
  const d = outBits.subarray(off, off + n);
  let p = 0;
  for (; p + 3 < n; p += 4) {
    d[p] = lut[px[p]];
    d[p + 1] = lut[px[p + 1]];
    d[p + 2] = lut[px[p + 2]];
    d[p + 3] = lut[px[p + 3]];
  }
  for (; p < n; p++) d[p] = lut[px[p]];
}

/**
 * The sum of the output's values when output column x shows source column
 * col[x], from the source's sum: minus each column shown 0 times, plus (m - 1)
 * times each column shown m > 1 times (the edge). Exact, like unitSum: every
 * term and partial sum is an integer times 2^-31 within [0, n] (drops come
 * first), so equal to the sequential sum over the shifted image.
 */
function shiftedSum(sourceSum: number, px: Uint8Array, h: number, w: number, c: number, col: Int32Array): number {
  const times = new Int32Array(w);
  for (let x = 0; x < w; x++) times[col[x]]++;
  let sum = sourceSum;
  for (const dropped of [true, false]) {
    for (let cc = 0; cc < w; cc++) {
      const m = times[cc];
      if (m === 1 || (m === 0) !== dropped) continue;
      let colSum = 0;
      for (let y = 0; y < h; y++) {
        const src = (y * w + cc) * c;
        for (let ch = 0; ch < c; ch++) colSum += UNIT[px[src + ch]];
      }
      sum += (m - 1) * colSum;
    }
  }
  return sum;
}

/** Source column of each output column after a flip (if any) then a shift by s, as augmentInPlace moves them. */
function columns(w: number, flip: boolean, s: number): Int32Array {
  if (colSrc.length !== w) colSrc = new Int32Array(w);
  for (let x = 0; x < w; x++) {
    const sx = Math.min(w - 1, Math.max(0, x - s));
    colSrc[x] = flip ? w - 1 - sx : sx;
  }
  return colSrc;
}
