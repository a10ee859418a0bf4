/**
 * What the video layer hands to training: a frame store on disk (never the
 * whole video in memory) and one label per kept sample.
 */
import type { AlignmentReport, LabelSet, LabelOptions } from '../data/types.ts';

export interface VideoInfo {
  path: string;
  frames: number;
  fps: number;
  width: number;
  height: number;
  durationS: number;
  codec: string;
  rotationDeg: number;
  variableFrameRate: boolean;
}

/** Crop in source pixels, applied before the resize to the model's input size. */
export interface Crop {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

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

export interface DatasetSpec {
  /** A video file, or a folder of images / numbered image sequence. */
  source: string;
  labels?: string;
  labelOptions?: LabelOptions;
  /** Milliseconds added to label times before matching. */
  offsetMs?: number;
  /** Frames farther than this from the nearest label are dropped and counted. */
  maxGapMs?: number;
  crop?: Crop;
  input: { width: number; height: number };
  /** Use only the first N frames (quick experiments). */
  maxFrames?: number;
}

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
