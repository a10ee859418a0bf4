/**
 * What the video layer hands to training: a frame store on disk (never the
 * whole video in memory) and one label per kept sample.
 */
import { z } from 'zod';
import { LabelOptions, type AlignmentReport, type LabelSet } from '../data/types.ts';

/** What ffprobe says about a video (sizes in pixels, duration in seconds). */
export const VideoInfo = z.object({
  path: z.string(),
  frames: z.number().int(),
  fps: z.number(),
  width: z.number().int(),
  height: z.number().int(),
  durationS: z.number(),
  codec: z.string(),
  rotationDeg: z.number(),
  variableFrameRate: z.boolean(),
});
export type VideoInfo = z.infer<typeof VideoInfo>;

/** Crop in source pixels, applied before the resize to the model's input size. */
export const Crop = z.object({
  top: z.number().int().nonnegative(),
  bottom: z.number().int().nonnegative(),
  left: z.number().int().nonnegative(),
  right: z.number().int().nonnegative(),
});
export type Crop = z.infer<typeof Crop>;

/** Model input size in pixels (8 to 1024 on each side). */
export const InputSize = z.object({ width: z.number().int().min(8).max(1024), height: z.number().int().min(8).max(1024) });
export type InputSize = z.infer<typeof InputSize>;

/** Random access to decoded RGB frames (uint8, HWC), backed by the on-disk cache. */
export interface FrameStore {
  readonly count: number;
  readonly width: number;
  readonly height: number;
  readonly channels: 3;
  /** Presentation time of each frame in seconds. */
  readonly timestampsS: Float64Array;
  /** Copies frame i into out (length width*height*3) or a new array. */
  read(i: number, out?: Uint8Array): Uint8Array;
  close(): void;
}

/** One video and its labels, and how to read them into samples. */
export const DatasetSpec = z.object({
  /** A video file, or a folder of images / numbered image sequence. */
  source: z.string().min(1),
  labels: z.string().min(1).optional(),
  labelOptions: LabelOptions.optional(),
  /** Milliseconds added to label times before matching. */
  offsetMs: z.number().optional(),
  /** Frames farther than this from the nearest label are dropped and counted. */
  maxGapMs: z.number().positive().optional(),
  crop: Crop.optional(),
  input: InputSize,
  /** Use only the first N frames (quick experiments). */
  maxFrames: z.number().int().positive().optional(),
  /**
   * Match frame-index or image labels by decode order even when frames were
   * lost while decoding and their times do not say which (refused otherwise).
   */
  allowFrameGaps: z.boolean().optional(),
});
export type DatasetSpec = z.infer<typeof DatasetSpec>;

export interface Dataset {
  spec: DatasetSpec;
  video: VideoInfo;
  frames: FrameStore;
  labels: LabelSet;
  /** One entry per usable sample: which frame, and its angle in degrees (positive = right). */
  sampleFrame: Int32Array;
  anglesDeg: Float32Array;
  alignment: AlignmentReport;
  warnings: string[];
  cachePath: string;
  cacheHit: boolean;
}

export interface DecodeProgress {
  done: number;
  total: number;
  etaS: number | null;
}
