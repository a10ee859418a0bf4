/**
 * One frame of the prediction video: the source frame (crop outlined, the
 * saliency map over it when asked) above a panel with two steering wheels
 * (the recorded angle and the model's), each turned by its angle, and an
 * error bar (predicted minus true, in degrees, against a fixed full scale).
 */
import { blendHeat, fillRect, fmtDeg, labelBox, strokeRect, type Picture, type Rect, type Rgb } from '../saliency/draw.ts';
import { drawText, GLYPH_H, textWidth } from '../saliency/font.ts';
import { CROP_COLOR, PRED_COLOR, TRUE_COLOR } from '../saliency/index.ts';

/** Panel height in pixels for a video `width` wide: room for wheels and text, even (yuv420p). */
export function panelHeight(width: number): number {
  return Math.max(72, Math.round((width * 0.25) / 2) * 2);
}

/**
 * A steering wheel of radius r centred at (cx, cy), turned by angleDeg
 * (positive = clockwise on screen = a right turn): rim, three spokes and a
 * white mark at the rim's top so the turn reads at a glance. Each pixel is
 * sampled 2x2 for smooth edges.
 */
export function drawWheel(pic: Picture, cx: number, cy: number, r: number, angleDeg: number, color: Rgb): void {
  if (!Number.isFinite(angleDeg)) return;
  const t = Math.max(2, r * 0.17);
  const th = (angleDeg * Math.PI) / 180;
  const cos = Math.cos(th);
  const sin = Math.sin(th);
  /** 0 = nothing, 1 = wheel colour, 2 = top mark; in the wheel's own frame (u right, v down). */
  const at = (dx: number, dy: number): number => {
    const u = dx * cos + dy * sin;
    const v = -dx * sin + dy * cos;
    const d = Math.hypot(u, v);
    if (d > r) return 0;
    if (d >= r - t) return v < 0 && Math.abs(u) <= t * 0.7 ? 2 : 1;
    if (d <= t * 1.1) return 1;
    if (Math.abs(v) <= t / 2) return 1;
    return Math.abs(u) <= t / 2 && v > 0 ? 1 : 0;
  };
  const x0 = Math.max(0, Math.floor(cx - r));
  const x1 = Math.min(pic.width - 1, Math.ceil(cx + r));
  const y0 = Math.max(0, Math.floor(cy - r));
  const y1 = Math.min(pic.height - 1, Math.ceil(cy + r));
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) {
    let wheel = 0;
    let mark = 0;
    for (const [sx, sy] of [[0.25, 0.25], [0.75, 0.25], [0.25, 0.75], [0.75, 0.75]]) {
      const k = at(x + sx - cx, y + sy - cy);
      if (k === 1) wheel++;
      else if (k === 2) mark++;
    }
    if (wheel + mark === 0) continue;
    const o = (y * pic.width + x) * 3;
    for (let c = 0; c < 3; c++) pic.rgb[o + c] = Math.round((pic.rgb[o + c] * (4 - wheel - mark) + color[c] * wheel + 255 * mark) / 4);
  }
}

/** The error bar: a track with a centre tick, filled from the centre by err / fullScale (clipped), green to red. */
export function drawErrorBar(pic: Picture, rect: Rect, errDeg: number, fullScaleDeg: number): void {
  fillRect(pic, rect, [60, 60, 66]);
  const mid = rect.x + rect.w / 2;
  if (Number.isFinite(errDeg)) {
    const f = Math.min(1, Math.abs(errDeg) / fullScaleDeg);
    const len = (f * rect.w) / 2;
    const color: Rgb = [Math.round(80 + 175 * f), Math.round(210 - 150 * f), 80];
    fillRect(pic, { x: errDeg >= 0 ? mid : mid - len, y: rect.y, w: len, h: rect.h }, color);
  }
  fillRect(pic, { x: mid - 1, y: rect.y - 3, w: 2, h: rect.h + 6 }, [230, 230, 230]);
}

/** What one video frame shows. */
export interface FrameInfo {
  trueDeg: number;
  predDeg: number;
  timeS: number;
  frame: number;
  /** Error bar full scale in degrees (the drive's largest recorded |angle|). */
  fullScaleDeg: number;
  /** Saliency map at the model's input size, or null. */
  map: Float32Array | null;
  mapSize: { height: number; width: number };
}

/**
 * Draws a video frame into `out` (width x (height + panel) RGB): the source
 * picture `src` (width x height) with overlays, then the panel.
 */
export function composeFrame(out: Picture, src: Picture, crop: Rect, info: FrameInfo): void {
  out.rgb.set(src.rgb, 0);
  const top: Picture = { rgb: out.rgb.subarray(0, src.rgb.length), width: src.width, height: src.height };
  if (info.map) blendHeat(top, crop, info.map, info.mapSize.width, info.mapSize.height);
  strokeRect(top, crop, CROP_COLOR, src.width >= 400 ? 2 : 1);
  const ph = out.height - src.height;
  const panel: Rect = { x: 0, y: src.height, w: out.width, h: ph };
  fillRect(out, panel, [28, 28, 32]);
  const scale = out.width >= 400 ? 2 : 1;
  // Wheel labels one size smaller: two of them sit side by side under wheels a panel height apart.
  const small = Math.max(1, scale - 1);
  const r = ph * 0.32;
  const textY = panel.y + ph - (GLYPH_H + 3) * small;
  const wheelY = panel.y + ph * 0.08 + r;
  [{ deg: info.trueDeg, color: TRUE_COLOR, name: 'TRUE', x: ph * 0.55 }, { deg: info.predDeg, color: PRED_COLOR, name: 'PRED', x: ph * 1.55 }].forEach((w) => {
    drawWheel(out, w.x, wheelY, r, w.deg, w.color);
    const label = `${w.name} ${fmtDeg(w.deg)}`;
    drawText(out.rgb, out.width, out.height, Math.round(w.x - textWidth(label, small) / 2), textY, label, w.color, small);
  });
  const barX = ph * 2.3;
  const bar: Rect = { x: barX, y: panel.y + ph * 0.42, w: out.width - barX - ph * 0.3, h: Math.max(4, ph * 0.16) };
  const err = info.predDeg - info.trueDeg;
  drawErrorBar(out, bar, err, info.fullScaleDeg);
  drawText(out.rgb, out.width, out.height, Math.round(bar.x), Math.round(panel.y + ph * 0.1), `ERROR ${fmtDeg(err)}`, [230, 230, 230], scale);
  const scaleText = `FULL SCALE ${info.fullScaleDeg.toFixed(0)}°`;
  drawText(out.rgb, out.width, out.height, Math.round(bar.x + bar.w - textWidth(scaleText, small)), textY, scaleText, [150, 150, 150], small);
  labelBox(top, 2 * scale, 2 * scale, [{ text: `${info.timeS.toFixed(2)} S  FRAME ${info.frame}`, color: [230, 230, 230] }], scale);
}
