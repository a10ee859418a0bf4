/**
 * Drawing on RGB pictures (uint8, HWC) in plain JavaScript: a saliency map
 * laid over the part of the frame the model sees, that part outlined, and a
 * label box. Shared by the saliency PNGs and the prediction video.
 */
import { drawText, GLYPH_H, textWidth } from './font.ts';

export type Rgb = readonly [number, number, number];

/** An RGB picture: width*height*3 bytes, row-major. */
export interface Picture {
  rgb: Uint8Array;
  width: number;
  height: number;
}

/** A rectangle in pixels: left, top, width, height. */
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The jet colour map (blue, cyan, yellow, red) at v in [0, 1]. */
export function jet(v: number): Rgb {
  const c = (x: number) => Math.round(255 * Math.max(0, Math.min(1, x)));
  return [c(1.5 - Math.abs(4 * v - 3)), c(1.5 - Math.abs(4 * v - 2)), c(1.5 - Math.abs(4 * v - 1))];
}

/** Colour and opacity per quantised map value (256 levels): the per-pixel work becomes a table look-up. */
const HEAT_LUT = (() => {
  const lut = new Float32Array(256 * 4);
  for (let i = 0; i < 256; i++) {
    const [r, g, b] = jet(i / 255);
    // Opacity grows with the square root, so middling values still show; 0 leaves the frame untouched.
    lut.set([r, g, b, Math.sqrt(i / 255)], i * 4);
  }
  return lut;
})();

/** For each output pixel along one axis: the two map pixels around its centre and the weight of the second. */
function axisSamples(start: number, len: number, rectStart: number, rectLen: number, mapLen: number): { i0: Int32Array; i1: Int32Array; f: Float32Array } {
  const i0 = new Int32Array(len);
  const i1 = new Int32Array(len);
  const f = new Float32Array(len);
  for (let k = 0; k < len; k++) {
    // Pixel centres mapped onto map pixel centres, clamped at the edges.
    const m = Math.max(0, Math.min(mapLen - 1, ((start + k + 0.5 - rectStart) * mapLen) / rectLen - 0.5));
    i0[k] = Math.floor(m);
    i1[k] = Math.min(mapLen - 1, i0[k] + 1);
    f[k] = m - i0[k];
  }
  return { i0, i1, f };
}

/**
 * Blends a saliency map (mw x mh values in [0, 1]) over `rect` of the
 * picture, stretched to fit (bilinear): colour from the jet map, opacity
 * growing with the value (up to `maxAlpha`), so unremarkable pixels keep
 * the frame visible.
 */
export function blendHeat(pic: Picture, rect: Rect, map: Float32Array, mw: number, mh: number, maxAlpha = 0.65): void {
  const x0 = Math.max(0, Math.round(rect.x));
  const y0 = Math.max(0, Math.round(rect.y));
  const x1 = Math.min(pic.width, Math.round(rect.x + rect.w));
  const y1 = Math.min(pic.height, Math.round(rect.y + rect.h));
  if (x1 <= x0 || y1 <= y0) return;
  const cols = axisSamples(x0, x1 - x0, rect.x, rect.w, mw);
  const rows = axisSamples(y0, y1 - y0, rect.y, rect.h, mh);
  const rgb = pic.rgb;
  for (let y = y0; y < y1; y++) {
    const ry = y - y0;
    const top = rows.i0[ry] * mw;
    const bottom = rows.i1[ry] * mw;
    const fy = rows.f[ry];
    for (let x = x0; x < x1; x++) {
      const cx = x - x0;
      const a0 = cols.i0[cx];
      const a1 = cols.i1[cx];
      const fx = cols.f[cx];
      const v = (map[top + a0] * (1 - fx) + map[top + a1] * fx) * (1 - fy) + (map[bottom + a0] * (1 - fx) + map[bottom + a1] * fx) * fy;
      const l = Math.max(0, Math.min(255, Math.round(v * 255))) * 4;
      const a = maxAlpha * HEAT_LUT[l + 3];
      const o = (y * pic.width + x) * 3;
      rgb[o] = rgb[o] * (1 - a) + HEAT_LUT[l] * a + 0.5;
      rgb[o + 1] = rgb[o + 1] * (1 - a) + HEAT_LUT[l + 1] * a + 0.5;
      rgb[o + 2] = rgb[o + 2] * (1 - a) + HEAT_LUT[l + 2] * a + 0.5;
    }
  }
}

/** Fills a rectangle (clipped to the picture). */
export function fillRect(pic: Picture, rect: Rect, color: Rgb): void {
  const x0 = Math.max(0, Math.round(rect.x));
  const y0 = Math.max(0, Math.round(rect.y));
  const x1 = Math.min(pic.width, Math.round(rect.x + rect.w));
  const y1 = Math.min(pic.height, Math.round(rect.y + rect.h));
  const [r, g, b] = color;
  for (let y = y0; y < y1; y++) {
    for (let o = (y * pic.width + x0) * 3, end = (y * pic.width + x1) * 3; o < end; o += 3) {
      pic.rgb[o] = r;
      pic.rgb[o + 1] = g;
      pic.rgb[o + 2] = b;
    }
  }
}

/** Outlines a rectangle with a line `thick` pixels wide, drawn inside it. */
export function strokeRect(pic: Picture, rect: Rect, color: Rgb, thick = 1): void {
  fillRect(pic, { x: rect.x, y: rect.y, w: rect.w, h: thick }, color);
  fillRect(pic, { x: rect.x, y: rect.y + rect.h - thick, w: rect.w, h: thick }, color);
  fillRect(pic, { x: rect.x, y: rect.y, w: thick, h: rect.h }, color);
  fillRect(pic, { x: rect.x + rect.w - thick, y: rect.y, w: thick, h: rect.h }, color);
}

/** Lines of text on a dark box with its top-left at (x, y); returns the box. */
export function labelBox(pic: Picture, x: number, y: number, lines: { text: string; color: Rgb }[], scale: number): Rect {
  const pad = 2 * scale;
  const lineH = (GLYPH_H + 2) * scale;
  const box = { x, y, w: Math.max(...lines.map((l) => textWidth(l.text, scale))) + 2 * pad, h: lines.length * lineH + 2 * pad - 2 * scale };
  fillRect(pic, box, [16, 16, 16]);
  lines.forEach((l, i) => drawText(pic.rgb, pic.width, pic.height, x + pad, y + pad + i * lineH, l.text, l.color, scale));
  return box;
}

/** Degrees as text with one decimal and a sign: '+12.3°', '-4.0°'. */
export function fmtDeg(v: number): string {
  if (!Number.isFinite(v)) return 'N/A';
  return `${v >= 0 ? '+' : '-'}${Math.abs(v).toFixed(1)}°`;
}
