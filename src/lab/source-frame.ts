/**
 * One sample's frame at source resolution (scaled to at most SOURCE_FRAME_WIDTH
 * px wide, uncropped): what the page draws the crop outline on, beside the
 * model's input from the frame cache. The frame cache holds only the cropped,
 * resized input, so this decodes that one frame again (video/sample.ts).
 */
import { UserError } from '../errors.ts';
import type { Dataset } from '../video/types.ts';

/** Widest source frame sent to the page, px: enough to see the road and set a crop to a few source pixels. */
export const SOURCE_FRAME_WIDTH = 640;

/** A sample's uncropped source frame as RGB bytes, with the data set's crop in source pixels. */
export interface SourceFrame {
  sample: number;
  /** Index in the data set's frame store (all videos one after another). */
  frameIndex: number;
  timeS: number;
  angleDeg: number;
  sourceWidth: number;
  sourceHeight: number;
  /** Size of `rgb`, px (the source scaled down, aspect kept, even numbers). */
  width: number;
  height: number;
  crop: { top: number; bottom: number; left: number; right: number };
  rgb: Uint8Array;
}

/** Decodes sample `sample` of `dataset` at source resolution (one ffmpeg run that stops at that frame). */
export async function sourceFrameOf(dataset: Dataset, sample: number, o: { signal?: AbortSignal } = {}): Promise<SourceFrame> {
  if (!Number.isInteger(sample) || sample < 0 || sample >= dataset.sampleFrame.length) {
    throw new UserError(`sample ${sample} is past the end (${dataset.sampleFrame.length} samples)`);
  }
  const { datasetParts } = await import('../video/multi.ts');
  const { sampleFrames } = await import('../video/sample.ts');
  const frameIndex = dataset.sampleFrame[sample];
  const parts = datasetParts(dataset);
  // The video holding this frame and its own (0-based, decode-order) index of it.
  const part = parts.find((p) => frameIndex >= p.firstFrame && frameIndex < p.firstFrame + p.frames) ?? parts[0];
  const v = part.video;
  const scale = Math.min(1, SOURCE_FRAME_WIDTH / v.width);
  // Even sizes: ffmpeg's scaler wants them for yuv sources.
  const width = Math.max(2, Math.round((v.width * scale) / 2) * 2);
  const height = Math.max(2, Math.round((v.height * scale) / 2) * 2);
  const [rgb] = await sampleFrames(part.spec.source, [frameIndex - part.firstFrame], { width, height }, o);
  if (!rgb) throw new UserError(`${part.spec.source}: frame ${frameIndex - part.firstFrame} could not be decoded`);
  return {
    sample, frameIndex, timeS: dataset.frames.timestampsS[frameIndex] ?? 0, angleDeg: dataset.anglesDeg[sample],
    sourceWidth: v.width, sourceHeight: v.height, width, height,
    crop: dataset.spec.crop ?? { top: 0, bottom: 0, left: 0, right: 0 }, rgb,
  };
}
