/**
 * Saliency pictures of a trained run: for chosen frames of its data set,
 * what the model looks at (VisualBackProp or Grad-CAM, see maps.ts), drawn
 * over the whole source frame with the crop outlined and the true and
 * predicted angles in the corner, as PNG files plus a JSON summary.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import { CancelledError, UserError } from '../errors.ts';
import { spreadPick } from '../video/sample.ts';
import { computeSaliency } from './compute.ts';
import { blendHeat, fmtDeg, labelBox, strokeRect, type Picture } from './draw.ts';
import { frameView, viewFrames } from './frames.ts';
import type { SaliencyMethod } from './maps.ts';
import { framePixels, openRunData, sourceFrame, type RunData } from './run-data.ts';
import { openRunModel, type RunModel } from './run-model.ts';

export { SALIENCY_METHODS, type SaliencyMethod } from './maps.ts';

/** Which samples: `count` spread evenly over the drive, or these sample indices. */
export type FrameSelection = { count: number } | { indices: number[] };

/** One picture written. */
export interface SaliencyFrame {
  /** Sample index in the run's data set (as val-predictions.json's sampleIndex). */
  index: number;
  trueDeg: number;
  predDeg: number;
  /** PNG file name, in the summary's folder. */
  file: string;
}

/** saliency.json: what was drawn, and where. */
export interface SaliencySummary {
  method: SaliencyMethod;
  run: string;
  engine: string;
  /** Folder of the pictures (absolute). */
  dir: string;
  /** The maps' size in pixels: the model's input. */
  mapSize: { height: number; width: number };
  frames: SaliencyFrame[];
}

/** Colours of the true and predicted angle, used on pictures and in the video alike. */
export const TRUE_COLOR = [90, 220, 120] as const;
export const PRED_COLOR = [255, 160, 40] as const;
export const CROP_COLOR = [255, 230, 60] as const;

/** Sample indices for a selection; UserError naming the valid range when one is outside it. */
export function pickSamples(sel: FrameSelection, samples: number): number[] {
  if ('count' in sel) {
    if (!Number.isInteger(sel.count) || sel.count < 1) throw new UserError(`--frames ${sel.count}: give a positive number of frames, or indices like 3,40,120`);
    return spreadPick(Array.from({ length: samples }, (_, i) => i), sel.count);
  }
  const bad = sel.indices.find((i) => !Number.isInteger(i) || i < 0 || i >= samples);
  if (bad !== undefined) throw new UserError(`frame ${bad} is out of range: this run's data set has ${samples} frames with labels (0-${samples - 1}); pick --frames within it`);
  return sel.indices;
}

/** Saliency maps and predictions (degrees) of some samples, in batches of 32. */
export function samplesSaliency(m: RunModel, d: RunData, samples: readonly number[], method: SaliencyMethod | null): { maps: Float32Array[]; predDeg: number[] } {
  const maps: Float32Array[] = [];
  const predDeg: number[] = [];
  const { height, width } = m.net.input;
  for (let s = 0; s < samples.length; s += 32) {
    const chunk = samples.slice(s, s + 32);
    const b = computeSaliency(m.net, framePixels(d.ds, chunk.map((k) => d.ds.sampleFrame[k])), chunk.length, method);
    chunk.forEach((_, j) => {
      predDeg.push(m.toDeg(b.outputs[j]));
      if (method) maps.push(b.maps.slice(j * height * width, (j + 1) * height * width));
    });
  }
  return { maps, predDeg };
}

/** The overlay of one frame: heat in the crop, the crop outlined, angles in the top-left corner. */
export function drawOverlay(pic: Picture, crop: { x: number; y: number; w: number; h: number }, map: Float32Array | null, mapSize: { height: number; width: number }, label: { title: string; trueDeg: number; predDeg: number }): void {
  if (map) blendHeat(pic, crop, map, mapSize.width, mapSize.height);
  strokeRect(pic, crop, CROP_COLOR, pic.width >= 400 ? 2 : 1);
  const scale = pic.width >= 400 ? 2 : 1;
  labelBox(pic, 2 * scale, 2 * scale, [
    { text: label.title, color: [230, 230, 230] },
    { text: `TRUE ${fmtDeg(label.trueDeg)}`, color: TRUE_COLOR },
    { text: `PRED ${fmtDeg(label.predDeg)}`, color: PRED_COLOR },
  ], scale);
}

/** A PNG file's bytes from an RGB picture. */
export function pngBytes(pic: Picture): Buffer {
  const png = new PNG({ width: pic.width, height: pic.height, colorType: 2, inputColorType: 2, inputHasAlpha: false });
  png.data = Buffer.from(pic.rgb.buffer, pic.rgb.byteOffset, pic.rgb.byteLength);
  return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false });
}

/** The source pictures of some samples, by data set frame: one decode per video. */
async function sourcePictures(d: RunData, samples: readonly number[], signal?: AbortSignal): Promise<Map<number, Picture>> {
  const out = new Map<number, Picture>();
  for (const part of d.parts) {
    const frames = samples.map((k) => d.ds.sampleFrame[k]).filter((f) => f >= part.firstFrame && f < part.firstFrame + part.frames);
    if (frames.length === 0) continue;
    const pics = await viewFrames(part, frames.map((f) => f - part.firstFrame), signal);
    for (const [i, pic] of pics) out.set(i + part.firstFrame, pic);
  }
  return out;
}

/** One overlay: a sample's whole source frame with the saliency map, the crop and the angles drawn on it. */
export interface SampleOverlay {
  index: number;
  trueDeg: number;
  predDeg: number;
  picture: Picture;
}

/**
 * The overlays of some samples of an open run: what the PNG files show, and
 * what a frame viewer would show for one selected frame.
 */
export async function sampleOverlays(m: RunModel, d: RunData, samples: readonly number[], method: SaliencyMethod, signal?: AbortSignal): Promise<SampleOverlay[]> {
  const { maps, predDeg } = samplesSaliency(m, d, samples, method);
  const pictures = await sourcePictures(d, samples, signal);
  return samples.map((k, j) => {
    const { part, index } = sourceFrame(d.parts, d.ds.sampleFrame[k]);
    const src = pictures.get(d.ds.sampleFrame[k]);
    if (!src) throw new UserError(`frame ${index} of ${part.spec.source} could not be decoded; check the video is complete`);
    // A copy: the same frame may be asked for twice.
    const picture = { ...src, rgb: src.rgb.slice() };
    const trueDeg = d.ds.anglesDeg[k];
    drawOverlay(picture, frameView(part.video, part.spec.crop).crop, maps[j], m.net.input, { title: `FRAME ${k} ${method === 'gradcam' ? 'GRAD-CAM' : 'VBP'}`, trueDeg, predDeg: predDeg[j] });
    return { index: k, trueDeg, predDeg: predDeg[j], picture };
  });
}

/**
 * Writes one PNG per selected frame and saliency.json into `outDir`;
 * returns the summary. Throws UserError for a run without a model or frames
 * out of range, CancelledError when the signal aborts.
 */
export async function writeSaliency(runDir: string, o: { frames: FrameSelection; method: SaliencyMethod; outDir: string; signal?: AbortSignal }): Promise<SaliencySummary> {
  const m = await openRunModel(runDir);
  let d: RunData | null = null;
  try {
    d = await openRunData(m.run, runDir, { signal: o.signal });
    const samples = pickSamples(o.frames, d.ds.anglesDeg.length);
    const overlays = await sampleOverlays(m, d, samples, o.method, o.signal);
    if (o.signal?.aborted) throw new CancelledError('saliency cancelled');
    const dir = resolve(o.outDir);
    mkdirSync(dir, { recursive: true });
    const frames = overlays.map((v): SaliencyFrame => {
      const file = `frame-${String(v.index).padStart(6, '0')}-${o.method}.png`;
      writeFileSync(join(dir, file), pngBytes(v.picture));
      return { index: v.index, trueDeg: round3(v.trueDeg), predDeg: round3(v.predDeg), file };
    });
    const summary: SaliencySummary = { method: o.method, run: m.run.dir, engine: m.engine.name, dir, mapSize: { height: m.net.input.height, width: m.net.input.width }, frames };
    writeFileSync(join(dir, 'saliency.json'), JSON.stringify(summary, null, 2) + '\n');
    return summary;
  } finally {
    d?.close();
    m.dispose();
  }
}

const round3 = (v: number): number => Math.round(v * 1000) / 1000;
