/**
 * Source frames as people look at them: the whole picture (not the model's
 * crop), scaled to a viewing size, with the crop's rectangle in that
 * picture's pixels, so overlays can show what the model saw and what it
 * did not.
 */
import { sampleFrames } from '../video/sample.ts';
import type { Crop } from '../video/types.ts';
import type { DatasetPart } from '../video/multi.ts';
import type { Picture, Rect } from './draw.ts';

/** Longest sides (pixels) of the pictures drawn: big enough to read, small enough to encode fast on 2 cores. */
export const VIEW_MAX_W = 640;
export const VIEW_MAX_H = 480;

/** Viewing size of a video's frames (even numbers: H.264's yuv420p needs them) and where its crop lies in them. */
export interface FrameView {
  width: number;
  height: number;
  /** The cropped part (what the model is fed, before its resize), in viewing pixels. */
  crop: Rect;
}

/** The viewing size of a w x h video with its crop. Upscales small videos (a 48-row synthetic drive) at most 4 times. */
export function frameView(video: { width: number; height: number }, crop: Crop | undefined): FrameView {
  const s = Math.min(VIEW_MAX_W / video.width, VIEW_MAX_H / video.height, 4);
  const even = (x: number) => Math.max(2, Math.round((x * s) / 2) * 2);
  const width = even(video.width);
  const height = even(video.height);
  const sx = width / video.width;
  const sy = height / video.height;
  const c = crop ?? { top: 0, bottom: 0, left: 0, right: 0 };
  return { width, height, crop: { x: c.left * sx, y: c.top * sy, w: (video.width - c.left - c.right) * sx, h: (video.height - c.top - c.bottom) * sy } };
}

/**
 * Decodes frames `indices` (in the part's own video) at the part's viewing
 * size, whole (uncropped); returns them by index.
 */
export async function viewFrames(part: DatasetPart, indices: readonly number[], signal?: AbortSignal): Promise<Map<number, Picture>> {
  const view = frameView(part.video, part.spec.crop);
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  const rgb = await sampleFrames(part.spec.source, sorted, { width: view.width, height: view.height }, { signal });
  return new Map(sorted.flatMap((i, k) => (rgb[k] ? [[i, { rgb: rgb[k], width: view.width, height: view.height }] as const] : [])));
}
