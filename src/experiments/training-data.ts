/**
 * Turns a video Dataset (frames in the on-disk cache) into the TrainingData
 * the trainer reads: a seeded block split with validation blocks spread
 * across the drive, batches read from the frame cache, pixels scaled to
 * [0, 1], seeded augmentation on the training split only.
 *
 * Memory stays bounded: frames are read from the disk cache (after the first
 * epoch, from the OS page cache over it) straight into each batch, one uint8
 * batch per call; only a pixel sum per frame is kept (FrameReader).
 */
import { augmentBytesInto, drawPixelPlan, EXACT_SUM_VALUES, UNIT, unitSum } from '../data/augment-bytes.ts';
import { allocRawBatch, rawBatchInto, type RawBatch } from '../data/raw-batch.ts';
import { blockSplit } from '../data/split.ts';
import { UserError } from '../errors.ts';
import type { AugmentConfig, SplitConfig } from '../train/config.ts';
import type { Batch, SampleSource, TrainingData } from '../train/data.ts';
import type { Rng } from '../rng.ts';
import type { Dataset, FrameStore } from '../video/types.ts';

/**
 * Memory the frames of a run are allowed for the memory estimate (train/memory-fit.ts): the OS page cache
 * over the disk cache holds them (a 66x200 frame is 39.6 kB: 512 MiB is about 13,500 frames, a 10-minute
 * drive at 20 Hz).
 */
export const DEFAULT_FRAME_CACHE_BYTES = 512 * 1024 * 1024;

/**
 * Reads frames (uint8 HWC) from a FrameStore straight into the caller's
 * buffer, and keeps each frame's pixel sum once computed (8 bytes a frame).
 *
 * Why no pixel cache here: the disk cache file is in the OS page cache after
 * its first read, and a read from there into an existing buffer takes about
 * 10 us per 40 kB frame, while keeping a copy costs fresh memory, whose first
 * touch on this project's VM is 12 us per 4 kB page (measured): an earlier
 * LRU of frame copies made the first epoch's batches 17 ms each on the main
 * thread, against 1 ms once every frame was cached, and held the whole
 * drive a second time.
 */
export class FrameReader {
  #store: FrameStore;
  /** unitSum of each frame, NaN until computed. */
  #sums: Float64Array;
  reads = 0;

  constructor(store: FrameStore) {
    this.#store = store;
    this.#sums = new Float64Array(store.count).fill(NaN);
  }

  get frameBytes(): number {
    return this.#store.width * this.#store.height * this.#store.channels;
  }

  /** Frame `frame` into out (at least frameBytes long); returns the frame's bytes (a view of out). */
  readInto(frame: number, out: Uint8Array): Uint8Array {
    this.reads++;
    const px = out.subarray(0, this.frameBytes);
    const got = this.#store.read(frame, px);
    // A store may hand back an array of its own (FrameStore.read): copy it over.
    if (got !== px) {
      if (got.length !== px.length) throw new Error(`frame ${frame} has ${got.length} bytes, expected ${px.length}`);
      px.set(got);
    }
    return px;
  }

  /**
   * unitSum(px, px.length) of frame `frame`, whose bytes px holds, computed
   * once per frame: the brightness/contrast mean of every later augmentation of it.
   */
  unitSum(frame: number, px: Uint8Array): number {
    let s = this.#sums[frame];
    if (Number.isNaN(s)) this.#sums[frame] = s = unitSum(px, px.length);
    return s;
  }
}

/** x[off + p] = px[p] / 255 for p < count: uint8 pixels scaled to [0, 1] (the reference for the scaling in augmentBytesInto). */
export function scaleInto(x: Float32Array, off: number, px: Uint8Array, count: number): void {
  for (let p = 0; p < count; p++) x[off + p] = UNIT[px[p]];
}

/** Released batches a FrameSource keeps for reuse, per batch size. */
const SPARE_BATCHES = 4;

/** A SampleSource over some of a Dataset's samples. */
class FrameSource implements SampleSource {
  readonly size: number;
  readonly anglesDeg: Float32Array;
  /** Whether augmentation takes a mean of pixels (brightness/contrast), which starts from the frame's pixel sum. */
  readonly #keepSums: boolean;
  /**
   * Released raw batches by sample count, reused by the next batches: a fresh 1.3 MB SharedArrayBuffer per
   * PilotNet batch cost 3.7 ms of page faults on the main thread (12 us per 4 kB page on this project's VM),
   * time taken from a gradient worker on a 2-core machine.
   */
  readonly #spare = new Map<number, RawBatch[]>();

  #reuse(raw: RawBatch): void {
    const list = this.#spare.get(raw.n) ?? [];
    // A training loop holds two batches (one computing, the next loading) and validation a few more in flight.
    if (list.length < SPARE_BATCHES) list.push(raw);
    this.#spare.set(raw.n, list);
  }

  constructor(
    private readonly ds: Dataset,
    /** Dataset sample indices of this split, in time order. */
    readonly sampleIndices: Int32Array,
    private readonly frames: FrameReader,
    private readonly augment: AugmentConfig | null,
    /** Called after each batch with the ms of its loading, scaling and augmentation on this thread (benchmarks). */
    private readonly onBatch?: (ms: number, samples: number) => void,
  ) {
    this.size = sampleIndices.length;
    this.anglesDeg = Float32Array.from(sampleIndices, (i) => ds.anglesDeg[i]);
    this.#keepSums = augment !== null && (augment.brightness > 0 || augment.contrast > 0);
  }

  async batch(indices: ArrayLike<number>, rng?: Rng): Promise<Batch> {
    // The trainer asks for batch s+1 before it computes step s. Deferring the reads to the next turn of the
    // event loop lets them run while a worker-thread gradient provider computes, instead of before it starts.
    const idx = Array.from(indices);
    await new Promise((r) => setImmediate(r));
    const t0 = this.onBatch ? performance.now() : 0;
    const { width: w, height: h } = this.ds.frames;
    const c = 3;
    const per = w * h * c;
    const n = idx.length;
    const yDeg = new Float32Array(n);
    const frameOf = (k: number) => {
      if (!(k >= 0 && k < this.size)) throw new RangeError(`sample ${k} is outside this split (size ${this.size})`);
      return this.ds.sampleFrame[this.sampleIndices[k]];
    };
    if (this.frames.frameBytes !== per) throw new Error(`frames of ${this.frames.frameBytes} bytes, expected ${per} (${w}x${h}x${c})`);
    let out: Batch;
    if (per <= EXACT_SUM_VALUES) {
      // The frames as they are, with each sample's augmentation drawn (in sample order, from rng): the pixel
      // pass runs where the input is used (a gradient worker, for its shard; or FrameBatch.x here).
      const raw = this.#spare.get(n)?.pop() ?? allocRawBatch(n, h, w, c);
      // A reused batch: no augmentation until drawn below (a fresh one starts zeroed).
      raw.flip.fill(0);
      raw.shift.fill(0);
      raw.hasTable.fill(0);
      for (let j = 0; j < n; j++) {
        const k = idx[j];
        const f = frameOf(k);
        const px = this.frames.readInto(f, raw.bytes.subarray(j * per, (j + 1) * per));
        if (!rng || !this.augment) {
          yDeg[j] = this.anglesDeg[k];
          continue;
        }
        const sum = this.#keepSums ? this.frames.unitSum(f, px) : undefined;
        const plan = drawPixelPlan(px, h, w, c, this.anglesDeg[k], this.augment, rng, sum, raw.tables.subarray(j * 256, j * 256 + 256));
        yDeg[j] = plan.angle;
        raw.flip[j] = plan.flip ? 1 : 0;
        raw.shift[j] = plan.shift;
        raw.hasTable[j] = plan.table ? 1 : 0;
      }
      out = new FrameBatch(raw, yDeg, (r) => this.#reuse(r));
    } else {
      // Larger than the exact-sum limit (over 1024x1024): scaling and augmentation here, in one pass.
      const sab = new SharedArrayBuffer(n * per * 4);
      const x = new Float32Array(sab);
      const xBits = new Int32Array(sab);
      const px = new Uint8Array(per);
      for (let j = 0; j < n; j++) yDeg[j] = augmentBytesInto(x, xBits, j * per, this.frames.readInto(frameOf(idx[j]), px), h, w, c, this.anglesDeg[idx[j]], this.augment, rng);
      out = { x, yDeg, size: n };
    }
    this.onBatch?.(performance.now() - t0, n);
    return out;
  }
}

/**
 * A batch from the frame cache: the raw frames and their drawn augmentation
 * (raw), turned into floats only when x is read. A worker pool reads raw
 * instead and does the pixel pass itself, so x is ordinary memory: as a
 * SharedArrayBuffer (as before), 5 MB a batch piled up faster than the
 * collector freed it when training in-process (`bench --memory`: peak RSS
 * 905 MB, 339 MB with ordinary arrays, measured).
 */
class FrameBatch implements Batch {
  #x: Float32Array | null = null;
  #raw: RawBatch | null;
  readonly size: number;
  constructor(
    raw: RawBatch,
    readonly yDeg: Float32Array,
    private readonly reuse: (raw: RawBatch) => void,
  ) {
    this.#raw = raw;
    this.size = raw.n;
  }

  get raw(): RawBatch {
    if (!this.#raw) throw new Error('internal: a batch was read after its memory was released for reuse');
    return this.#raw;
  }

  get x(): Float32Array {
    if (this.#x) return this.#x;
    const { n, h, w, c } = this.raw;
    return (this.#x = rawBatchInto(this.raw, new Float32Array(n * h * w * c)));
  }

  /** Hands the frames' memory back to the source (once; x, if it was read, stays valid: it is a copy). */
  release(): void {
    if (!this.#raw) return;
    const raw = this.#raw;
    this.#raw = null;
    this.reuse(raw);
  }
}

/** TrainingData plus what the runner records: which samples are in each split, and the validation blocks. */
export interface DatasetTrainingData extends TrainingData {
  trainIndices: Int32Array;
  valIndices: Int32Array;
  valBlocks: { start: number; end: number }[];
  frameCache: FrameReader;
}

/**
 * Builds TrainingData from a Dataset: `blockSplit` with the split's own seed
 * (split.seed), so every run that shares (samples, split config) shares the
 * split whatever its model seed.
 * Augmentation runs on training batches only, with the rng the trainer passes.
 */
export function datasetToTrainingData(
  ds: Dataset,
  split: SplitConfig,
  augment: AugmentConfig,
  o: { frameCache?: FrameReader; onTrainBatch?: (ms: number, samples: number) => void } = {},
): DatasetTrainingData {
  const n = ds.anglesDeg.length;
  let s: ReturnType<typeof blockSplit>;
  try {
    s = blockSplit(n, split, split.seed);
  } catch (err) {
    // Name the label file: a split that cannot be made almost always means labels matching too few frames.
    if (err instanceof UserError) throw new UserError(`${ds.labels.path}: ${err.message}`);
    throw err;
  }
  if (s.train.length === 0 || s.val.length === 0) {
    throw new Error(`the split of ${n} samples left ${s.train.length} for training and ${s.val.length} for validation; use more frames or fewer guard frames`);
  }
  const frames = o.frameCache ?? new FrameReader(ds.frames);
  return {
    inputShape: [ds.frames.height, ds.frames.width, 3],
    train: new FrameSource(ds, s.train, frames, augment, o.onTrainBatch),
    val: new FrameSource(ds, s.val, frames, null),
    trainIndices: s.train,
    valIndices: s.val,
    valBlocks: s.blocks,
    frameCache: frames,
  };
}
