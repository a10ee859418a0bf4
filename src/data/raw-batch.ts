/**
 * A batch as its uint8 frames plus what augmentation drew for each one: the
 * model input before its pixel pass. The seeded draws are sequential and
 * cheap, so the thread that owns the random stream makes them (the frame
 * source, in sample order); the pixel pass (scaling, flip, shift, brightness
 * and contrast: about 10 ms per batch of 32 at 66x200) is per image and runs
 * where the input is used: a gradient worker turns its own shard into floats
 * while the other does the same, instead of the main thread taking CPU from
 * both. The floats are bit for bit those of augmentBytesInto
 * (test/data/raw-batch.test.ts).
 *
 * Every array is on a SharedArrayBuffer, so a shard posted to a worker is a
 * view, not a copy.
 */
import { applyPixelPlan, UNIT_BITS } from './augment-bytes.ts';

export interface RawBatch {
  kind: 'raw';
  /** Samples. */
  n: number;
  h: number;
  w: number;
  c: number;
  /** The n frames, uint8 HWC, one after another. */
  bytes: Uint8Array;
  /** Per sample: 1 when mirrored. */
  flip: Uint8Array;
  /** Per sample: horizontal shift in pixels. */
  shift: Int32Array;
  /** Per sample: 1 when brightness/contrast drew a value table (its 256 entries in tables). */
  hasTable: Uint8Array;
  /** n x 256 float32 bits: sample j's table at j * 256. */
  tables: Int32Array;
}

/** Whether x is a RawBatch (a model input may be floats or a raw batch). */
export function isRawBatch(x: unknown): x is RawBatch {
  return typeof x === 'object' && x !== null && (x as RawBatch).kind === 'raw';
}

/** An empty raw batch of n frames of h x w x c, on shared memory. */
export function allocRawBatch(n: number, h: number, w: number, c: number): RawBatch {
  const shared = <T>(ctor: { new (b: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number }, count: number) =>
    new ctor(new SharedArrayBuffer(Math.max(1, count) * ctor.BYTES_PER_ELEMENT));
  return {
    kind: 'raw', n, h, w, c,
    bytes: shared(Uint8Array, n * h * w * c),
    flip: shared(Uint8Array, n),
    shift: shared(Int32Array, n),
    hasTable: shared(Uint8Array, n),
    tables: shared(Int32Array, n * 256),
  };
}

/** Samples [from, to) of a raw batch, as views of the same memory. */
export function rawShard(raw: RawBatch, from: number, to: number): RawBatch {
  const per = raw.h * raw.w * raw.c;
  return {
    kind: 'raw', n: to - from, h: raw.h, w: raw.w, c: raw.c,
    bytes: raw.bytes.subarray(from * per, to * per),
    flip: raw.flip.subarray(from, to),
    shift: raw.shift.subarray(from, to),
    hasTable: raw.hasTable.subarray(from, to),
    tables: raw.tables.subarray(from * 256, to * 256),
  };
}

/**
 * The model input of a raw batch: out[j * per ..] = sample j's frame scaled
 * to [0, 1] and augmented as drawn. out must hold n * h * w * c floats.
 */
export function rawBatchInto(raw: RawBatch, out: Float32Array): Float32Array {
  const per = raw.h * raw.w * raw.c;
  if (out.length < raw.n * per) throw new RangeError(`rawBatchInto: ${out.length} floats for ${raw.n} samples of ${per}`);
  const bits = new Int32Array(out.buffer, out.byteOffset, out.length);
  for (let j = 0; j < raw.n; j++) {
    const lut = raw.hasTable[j] ? raw.tables.subarray(j * 256, j * 256 + 256) : UNIT_BITS;
    applyPixelPlan(bits, j * per, raw.bytes.subarray(j * per, (j + 1) * per), raw.h, raw.w, raw.c, raw.flip[j] === 1, raw.shift[j], lut);
  }
  return out;
}
