/**
 * Seeded augmentation of one image (float32, HWC, values in [0, 1]) with the
 * matching steering correction, all in place: the reference definition. The
 * lab's batches use the same augmentation fused with the uint8 -> [0, 1]
 * scaling, bit for bit (augment-bytes.ts).
 */
import { z } from 'zod';
import type { Rng } from '../rng.ts';

/** Training-time augmentation (RunConfig.augment); brightness and contrast are fractions of the [0, 1] pixel range. */
export const AugmentConfig = z.strictObject({
  flip: z.boolean().default(true),
  brightness: z.number().min(0).max(1).default(0.2),
  contrast: z.number().min(0).max(1).default(0.2),
  /** Maximum horizontal shift in pixels of the model input; 0 = off. */
  shiftPx: z.number().int().nonnegative().default(0),
  /** Steering-wheel degrees added per pixel of shift. */
  shiftDegPerPx: z.number().default(0),
});
export type AugmentConfig = z.infer<typeof AugmentConfig>;

/** Mirrors the image left-right (a mirrored road curves the other way: negate the angle). */
export function flipHorizontalInPlace(img: Float32Array, h: number, w: number, c: number): void {
  for (let y = 0; y < h; y++) {
    const row = y * w * c;
    for (let x = 0; x < w >> 1; x++) {
      const a = row + x * c;
      const b = row + (w - 1 - x) * c;
      for (let k = 0; k < c; k++) {
        const t = img[a + k];
        img[a + k] = img[b + k];
        img[b + k] = t;
      }
    }
  }
}

/**
 * Moves the picture `dx` pixels to the right (negative = left), repeating the
 * edge column into the uncovered side.
 */
export function shiftHorizontalInPlace(img: Float32Array, h: number, w: number, c: number, dx: number): void {
  if (dx === 0) return;
  const rowBuf = new Float32Array(w * c);
  for (let y = 0; y < h; y++) {
    const row = y * w * c;
    rowBuf.set(img.subarray(row, row + w * c));
    for (let x = 0; x < w; x++) {
      const sx = Math.min(w - 1, Math.max(0, x - dx));
      for (let k = 0; k < c; k++) img[row + x * c + k] = rowBuf[sx * c + k];
    }
  }
}

/** p -> (p - mean) * contrast + mean + brightness, clamped to [0, 1]; mean over all pixels and channels. */
export function brightnessContrastInPlace(img: Float32Array, brightness: number, contrast: number): void {
  let mean = 0;
  for (let i = 0; i < img.length; i++) mean += img[i];
  mean /= img.length || 1;
  for (let i = 0; i < img.length; i++) {
    const v = (img[i] - mean) * contrast + mean + brightness;
    img[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
}

/**
 * Applies, in this order and with draws from rng: a flip with probability
 * 1/2 (angle negated); a horizontal shift of an integer s in
 * [-shiftPx, shiftPx] pixels; a brightness offset in [-brightness, brightness]
 * and a contrast factor in [1 - contrast, 1 + contrast].
 *
 * Shift correction: a picture moved right by s pixels looks as if the camera
 * (the car) moved left, so the car must steer right to return: the angle
 * becomes angle + s * shiftDegPerPx (degrees, positive = right).
 * Returns the corrected angle in degrees.
 */
export function augmentInPlace(
  img: Float32Array,
  h: number,
  w: number,
  c: number,
  angleDeg: number,
  cfg: AugmentConfig,
  rng: Rng,
): number {
  let angle = angleDeg;
  if (cfg.flip && rng.next() < 0.5) {
    flipHorizontalInPlace(img, h, w, c);
    angle = -angle;
  }
  if (cfg.shiftPx > 0) {
    const s = rng.int(2 * cfg.shiftPx + 1) - cfg.shiftPx;
    shiftHorizontalInPlace(img, h, w, c, s);
    angle += s * cfg.shiftDegPerPx;
  }
  if (cfg.brightness > 0 || cfg.contrast > 0) {
    const b = cfg.brightness > 0 ? rng.uniform(-cfg.brightness, cfg.brightness) : 0;
    const k = cfg.contrast > 0 ? rng.uniform(1 - cfg.contrast, 1 + cfg.contrast) : 1;
    brightnessContrastInPlace(img, b, k);
  }
  // -0 would print as "-0" in logs; a flipped straight stays 0.
  return angle === 0 ? 0 : angle;
}
