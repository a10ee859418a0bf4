/**
 * One sample's frame at source resolution (scaled to at most SOURCE_FRAME_WIDTH
 * px wide, uncropped): what the page draws the crop outline on, beside the
 * model's input from the frame cache. The frame cache holds only the cropped,
 * resized input, so this decodes that one frame again: by seeking to its time
 * in its video (video/seek-frame.ts), else from the video's start
 * (video/sample.ts). test/host/source-frame.test.ts checks both give the
 * same bytes.
 */
import { UserError } from '../errors.ts';
import { seekSourceFrame } from '../video/seek-frame.ts';
import type { Crop, Dataset } from '../video/types.ts';

/** Widest source frame sent to the page, px: enough to see the road and set a crop to a few source pixels. */
export const SOURCE_FRAME_WIDTH = 640;

/** An uncropped source picture scaled down for the page, with the data set's crop in source pixels. */
export interface SourcePicture {
  sourceWidth: number;
  sourceHeight: number;
  /** Size of `rgb`, px (the source scaled down, aspect kept, even numbers). */
  width: number;
  height: number;
  crop: Crop;
  rgb: Uint8Array;
}

/** A sample's uncropped source frame as RGB bytes. */
export interface SourceFrame extends SourcePicture {
  sample: number;
  /** Index in the data set's frame store (all videos one after another). */
  frameIndex: number;
  timeS: number;
  angleDeg: number;
}

/** Decodes sample `sample` of `dataset` at source resolution: a seek to it in its video, else one ffmpeg run from the start that stops at it. */
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
  const local = frameIndex - part.firstFrame;
  // The frame's time and its neighbours' on its own video's clock (the store shifts each video's times by its offset).
  const ts = dataset.frames.timestampsS;
  const own = (i: number) => (i >= part.firstFrame && i < part.firstFrame + part.frames && i < ts.length ? ts[i] - part.timeOffsetS : undefined);
  const at = own(frameIndex);
  let rgb: Uint8Array | null | undefined = at === undefined ? null
    : await seekSourceFrame(part.spec.source, { timeS: at, prevS: own(frameIndex - 1), nextS: own(frameIndex + 1) }, { width, height }, { signal: o.signal, nominalFps: v.fps });
  rgb ??= (await sampleFrames(part.spec.source, [local], { width, height }, o))[0];
  if (!rgb) throw new UserError(`${part.spec.source}: frame ${local} could not be decoded`);
  return {
    sample, frameIndex, timeS: dataset.frames.timestampsS[frameIndex] ?? 0, angleDeg: dataset.anglesDeg[sample],
    sourceWidth: v.width, sourceHeight: v.height, width, height,
    crop: dataset.spec.crop ?? { top: 0, bottom: 0, left: 0, right: 0 }, rgb,
  };
}
