/**
 * The crop outline drawn on a source frame (pure): the crop form's four
 * sides in source pixels, as a box in the displayed image's pixels. The page
 * draws it while the user types, before anything is decoded with that crop.
 */

/** Pixels cut from each side of the source picture. */
export interface CropSides {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/** The kept region in display pixels, and whether the crop leaves a picture at all. */
export interface CropOutline {
  left: number;
  top: number;
  width: number;
  height: number;
  /** False when the sides meet or cross (nothing left): the form's crop cannot be applied as typed. */
  valid: boolean;
  /** What is kept, in source pixels (the model input before its resize). */
  keptWidth: number;
  keptHeight: number;
}

/** A typed side as a whole number of pixels: empty, negative or not a number counts as 0. */
export function cropSide(v: unknown): number {
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) && n > 0 ? Math.round(n) : 0;
}

/**
 * The kept region of a `source` picture cropped by `crop`, scaled to an image
 * drawn `display` pixels big. Sides past the picture are clamped to it, so a
 * crop too large still draws (as an empty box) rather than outside the frame.
 */
export function cropOutline(crop: Partial<CropSides>, source: { width: number; height: number }, display: { width: number; height: number }): CropOutline {
  const sx = display.width / Math.max(1, source.width);
  const sy = display.height / Math.max(1, source.height);
  const clamp = (v: number, max: number): number => Math.min(max, cropSide(v));
  const top = clamp(crop.top ?? 0, source.height);
  const left = clamp(crop.left ?? 0, source.width);
  const bottom = clamp(crop.bottom ?? 0, source.height - top);
  const right = clamp(crop.right ?? 0, source.width - left);
  const keptWidth = source.width - left - right;
  const keptHeight = source.height - top - bottom;
  return {
    left: left * sx, top: top * sy, width: keptWidth * sx, height: keptHeight * sy,
    valid: cropSide(crop.top) + cropSide(crop.bottom) < source.height && cropSide(crop.left) + cropSide(crop.right) < source.width,
    keptWidth, keptHeight,
  };
}

/** True when two crops cut the same pixels (a typed crop equal to the applied one needs no re-decode). */
export function sameCrop(a: Partial<CropSides>, b: Partial<CropSides>): boolean {
  return (['top', 'bottom', 'left', 'right'] as const).every((k) => cropSide(a[k]) === cropSide(b[k]));
}
