/**
 * What the trainer reads: batches of model inputs and steering angles in
 * degrees. Built by experiments/ from a video Dataset (frames from the disk
 * cache, never all in memory) or by studies from arrays.
 */
import type { RawBatch } from '../data/raw-batch.ts';
import type { Rng } from '../rng.ts';

export interface Batch {
  /** Inputs, NHWC float32 scaled to [0, 1] (mlp: N x features). */
  x: Float32Array;
  /** True steering angles in degrees, one per sample. */
  yDeg: Float32Array;
  size: number;
  /**
   * The same input before its pixel pass (uint8 frames and drawn augmentation), when the source has it: a
   * gradient worker pool takes this and computes x itself, for its shard.
   */
  raw?: RawBatch;
  /**
   * The consumer is done with this batch: the source may reuse its memory for a later batch (reading it
   * afterwards is an error). Optional on both sides: a batch never released is simply garbage-collected.
   */
  release?(): void;
}

export interface SampleSource {
  readonly size: number;
  /** Angle of every sample in degrees (for target transforms, baselines, bins). */
  readonly anglesDeg: Float32Array;
  /** Loads the given samples; applies seeded augmentation when rng is given. */
  batch(indices: ArrayLike<number>, rng?: Rng): Promise<Batch>;
}

export interface TrainingData {
  /** [height, width, channels] of one input (mlp: [1, features, 1]). */
  inputShape: [number, number, number];
  train: SampleSource;
  val: SampleSource;
  /** Free file handles etc. */
  close?(): void;
}
