import { describe, expect, it } from 'vitest';
import { AugmentConfig, augmentInPlace } from '../../src/data/augment.ts';
import { augmentBytesInto, drawPixelPlan, UNIT, unitSum } from '../../src/data/augment-bytes.ts';
import { allocRawBatch, rawBatchInto, rawShard } from '../../src/data/raw-batch.ts';
import { datasetToTrainingData, FrameReader, scaleInto } from '../../src/experiments/training-data.ts';
import { createRng } from '../../src/rng.ts';
import { SplitConfig } from '../../src/train/config.ts';
import type { Dataset, FrameStore } from '../../src/video/types.ts';

/** Random uint8 pixels; `flat` draws from a few values only (long runs, clamping at 0 and 1). */
function bytes(n: number, seed: number, flat = false): Uint8Array {
  const r = createRng(seed);
  const levels = [0, 1, 2, 254, 255, 128];
  return Uint8Array.from({ length: n }, () => (flat ? levels[r.int(levels.length)] : r.int(256)));
}

/** The reference: scaleInto then augmentInPlace on the float image. */
function reference(px: Uint8Array, h: number, w: number, c: number, angle: number, cfg: AugmentConfig | null, rng: ReturnType<typeof createRng> | undefined) {
  const n = h * w * c;
  const img = new Float32Array(n);
  scaleInto(img, 0, px, n);
  const a = cfg && rng ? augmentInPlace(img, h, w, c, angle, cfg, rng) : angle;
  return { img, angle: a };
}

/** The fused path, writing at an offset inside a larger shared buffer (as FrameSource does). */
function fused(px: Uint8Array, h: number, w: number, c: number, angle: number, cfg: AugmentConfig | null, rng: ReturnType<typeof createRng> | undefined, pxSum?: number) {
  const n = h * w * c;
  const off = 7;
  const sab = new SharedArrayBuffer((n + 2 * off) * 4);
  const out = new Float32Array(sab);
  out.fill(-5);
  const a = augmentBytesInto(out, new Int32Array(sab), off, px, h, w, c, angle, cfg, rng, pxSum);
  // Nothing written outside the image.
  for (let i = 0; i < off; i++) {
    expect(out[i]).toBe(-5);
    expect(out[off + n + i]).toBe(-5);
  }
  return { img: out.slice(off, off + n), angle: a };
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

const configs: Record<string, Partial<AugmentConfig>> = {
  none: { flip: false, brightness: 0, contrast: 0 },
  flip: { flip: true, brightness: 0, contrast: 0 },
  bc: { flip: false, brightness: 0.2, contrast: 0.2 },
  flipBc: { flip: true, brightness: 0.2, contrast: 0.2 },
  brightnessOnly: { flip: true, brightness: 0.5, contrast: 0 },
  contrastOnly: { flip: true, brightness: 0, contrast: 0.9 },
  strong: { flip: true, brightness: 1, contrast: 1 },
  shift: { flip: true, brightness: 0.2, contrast: 0.2, shiftPx: 3, shiftDegPerPx: 0.7 },
  shiftNoBc: { flip: true, brightness: 0, contrast: 0, shiftPx: 2, shiftDegPerPx: 1 },
  shiftWide: { flip: true, brightness: 0.3, contrast: 0.4, shiftPx: 40, shiftDegPerPx: 0.1 },
};

describe('augmentBytesInto (fused scaling + augmentation)', () => {
  const shapes: [number, number, number][] = [[66, 200, 3], [5, 7, 3], [4, 9, 1], [3, 6, 2], [1, 1, 3]];
  for (const [name, partial] of Object.entries(configs)) {
    it(`equals scaleInto + augmentInPlace bit for bit: ${name}`, () => {
      const cfg = AugmentConfig.parse(partial);
      let flips = 0;
      for (const [h, w, c] of shapes) {
        for (let seed = 1; seed <= (h * w > 100 ? 12 : 40); seed++) {
          const px = bytes(h * w * c, 1000 * seed + w, seed % 3 === 0);
          const angle = seed % 5 === 0 ? 0 : (seed - 20) * 1.37;
          const r1 = createRng(seed);
          const r2 = createRng(seed);
          const want = reference(px, h, w, c, angle, cfg, r1);
          const got = fused(px, h, w, c, angle, cfg, r2, seed % 2 === 0 ? unitSum(px, px.length) : undefined);
          if (!sameBits(got.img, want.img)) {
            const i = got.img.findIndex((v, k) => !Object.is(v, want.img[k]));
            throw new Error(`${name} ${h}x${w}x${c} seed ${seed}: value ${i} is ${got.img[i]}, reference ${want.img[i]}`);
          }
          expect(Object.is(got.angle, want.angle)).toBe(true);
          if (got.angle !== angle) flips++;
          // The same number of draws: both generators are at the same point.
          expect(r2.next()).toBe(r1.next());
        }
      }
      // The flipped cases were exercised (the angle changes on a flip or a shift).
      if (cfg.flip || cfg.shiftPx > 0) expect(flips).toBeGreaterThan(10);
    });
  }

  it('without config or rng it only scales (no draws)', () => {
    const px = bytes(5 * 7 * 3, 9);
    const rng = createRng(4);
    const got = fused(px, 5, 7, 3, 2.5, null, rng);
    expect(sameBits(got.img, Float32Array.from(px, (v) => v / 255))).toBe(true);
    expect(got.angle).toBe(2.5);
    expect(rng.next()).toBe(createRng(4).next());
    const got2 = fused(px, 5, 7, 3, 2.5, AugmentConfig.parse({}), undefined);
    expect(sameBits(got2.img, got.img)).toBe(true);
  });

  it('reads pixel buffers at any byte offset', () => {
    const big = bytes(3 + 6 * 11 * 3, 17);
    const px = big.subarray(3); // byteOffset 3: the histogram cannot read whole words
    const cfg = AugmentConfig.parse({ brightness: 0.4, contrast: 0.4 });
    for (let seed = 1; seed < 8; seed++) {
      const want = reference(px, 6, 11, 3, 1, cfg, createRng(seed));
      const got = fused(px, 6, 11, 3, 1, cfg, createRng(seed));
      expect(sameBits(got.img, want.img)).toBe(true);
    }
  });

  it('images over 2^22 values (where a histogram sum might not be exact) take the reference path', () => {
    const [h, w, c] = [2, 699051, 3]; // 4,194,306 values
    const px = bytes(h * w * c, 8);
    const cfg = AugmentConfig.parse({ brightness: 0.3, contrast: 0.3, shiftPx: 2, shiftDegPerPx: 1 });
    for (const seed of [1, 2]) {
      const want = reference(px, h, w, c, 3, cfg, createRng(seed));
      const got = fused(px, h, w, c, 3, cfg, createRng(seed));
      expect(sameBits(got.img, want.img)).toBe(true);
      expect(got.angle).toBe(want.angle);
    }
  });

  it('unitSum equals the sequential float64 sum of the scaled values', () => {
    for (const [n, seed] of [[39600, 1], [39601, 2], [3, 3], [0, 4], [1024 * 1024 * 3, 5]] as const) {
      const px = bytes(n, seed);
      let seq = 0;
      for (let p = 0; p < n; p++) seq += UNIT[px[p]];
      expect(unitSum(px, n)).toBe(seq);
    }
    const white = new Uint8Array(1024 * 1024 * 3).fill(255);
    expect(unitSum(white, white.length)).toBe(white.length);
  });
});

describe('drawPixelPlan + applyPixelPlan (the draws here, the pixel pass elsewhere)', () => {
  const shapes: [number, number, number][] = [[66, 200, 3], [5, 7, 3], [4, 9, 1], [3, 6, 2]];
  for (const [name, partial] of Object.entries(configs)) {
    it(`a raw batch of several images equals augmentBytesInto image by image: ${name}`, () => {
      const cfg = AugmentConfig.parse(partial);
      for (const [h, w, c] of shapes) {
        const per = h * w * c;
        const n = h * w > 100 ? 6 : 17;
        const frames = Array.from({ length: n }, (_, j) => bytes(per, 300 * j + w, j % 3 === 0));
        const rA = createRng(w + n);
        const rB = createRng(w + n);
        const raw = allocRawBatch(n, h, w, c);
        const angles: number[] = [];
        frames.forEach((px, j) => {
          raw.bytes.set(px, j * per);
          const plan = drawPixelPlan(px, h, w, c, j - 3.5, cfg, rA, j % 2 ? unitSum(px, per) : undefined, raw.tables.subarray(j * 256, j * 256 + 256));
          raw.flip[j] = plan.flip ? 1 : 0;
          raw.shift[j] = plan.shift;
          raw.hasTable[j] = plan.table ? 1 : 0;
          angles.push(plan.angle);
        });
        const got = rawBatchInto(raw, new Float32Array(n * per));
        frames.forEach((px, j) => {
          const want = fused(px, h, w, c, j - 3.5, cfg, rB);
          expect(sameBits(got.subarray(j * per, (j + 1) * per), want.img), `${h}x${w}x${c} image ${j}`).toBe(true);
          expect(Object.is(angles[j], want.angle)).toBe(true);
        });
        expect(rA.next()).toBe(rB.next());
      }
    });
  }

  it('refuses an image past the exact-sum limit (the caller augments those in one pass)', () => {
    expect(() => drawPixelPlan(new Uint8Array(3), 1, 2 ** 21 + 1, 2, 0, AugmentConfig.parse({}), createRng(1), undefined, new Int32Array(256))).toThrow(/exact-sum limit/);
  });

  it('refuses to write a raw batch into too small an output', () => {
    expect(() => rawBatchInto(allocRawBatch(2, 3, 4, 3), new Float32Array(10))).toThrow(/10 floats for 2 samples/);
  });
});

describe('FrameSource batches (fused path) against the reference pipeline', () => {
  const W = 13;
  const H = 5;
  const per = W * H * 3;
  const count = 60;
  const frames: Uint8Array[] = Array.from({ length: count }, (_, i) => bytes(per, 50 + i, i % 4 === 0));
  const store: FrameStore = {
    count, width: W, height: H, channels: 3, timestampsS: Float64Array.from({ length: count }, (_, i) => i / 10),
    read: (i: number) => frames[i].slice(),
    close() {},
  };
  const ds = {
    spec: { source: 'x.mp4', input: { width: W, height: H } },
    frames: store,
    sampleFrame: Int32Array.from({ length: count }, (_, k) => k),
    anglesDeg: Float32Array.from({ length: count }, (_, k) => k - 30.5),
  } as unknown as Dataset;
  const split = SplitConfig.parse({ valFraction: 0.2, blocks: 2, guardFrames: 1 });

  for (const name of ['flipBc', 'shift', 'none'] as const) {
    it(`train batches over three epochs (frames kept in the LRU) equal scaleInto + augmentInPlace: ${name}`, async () => {
      const cfg = AugmentConfig.parse(configs[name]);
      // A reader of its own, and one shared with an earlier run (pixel sums already known).
      const shared = new FrameReader(store);
      await datasetToTrainingData(ds, split, cfg, { frameCache: shared }).train.batch([0, 1, 2, 3], createRng(1));
      for (const frameCache of [undefined, shared]) {
        const td = datasetToTrainingData(ds, split, cfg, { frameCache });
        const rngA = createRng(77);
        const rngB = createRng(77);
        for (let epoch = 0; epoch < 3; epoch++) {
          for (let start = 0; start < td.train.size; start += 8) {
            const idx = Array.from({ length: Math.min(8, td.train.size - start) }, (_, j) => (start + j * 5 + epoch) % td.train.size);
            const b = await td.train.batch(idx, rngA);
            const want = new Float32Array(idx.length * per);
            const wantY = new Float32Array(idx.length);
            idx.forEach((k, j) => {
              const img = want.subarray(j * per, (j + 1) * per);
              scaleInto(img, 0, frames[td.trainIndices[k]], per);
              wantY[j] = augmentInPlace(img, H, W, 3, td.train.anglesDeg[k], cfg, rngB);
            });
            expect(sameBits(b.x, want)).toBe(true);
            expect(Array.from(b.yDeg)).toEqual(Array.from(wantY));
            // What a gradient worker does with its shard of the raw batch: the same floats.
            const raw = b.raw!;
            expect(raw.bytes.buffer).toBeInstanceOf(SharedArrayBuffer);
            const cut = idx.length >> 1;
            for (const [from, to] of [[0, cut], [cut, idx.length]]) {
              const shard = rawBatchInto(rawShard(raw, from, to), new Float32Array((to - from) * per));
              expect(sameBits(shard, want.subarray(from * per, to * per))).toBe(true);
            }
            // Released batches lend their memory to later ones (half of them here: reused and fresh memory mixed).
            if ((start / 8) % 2 === 0) {
              b.release?.();
              expect(() => b.raw).toThrow(/released/);
              expect(sameBits(b.x, want)).toBe(true); // x was read before the release: a copy, still valid
            }
          }
        }
        // A batch without augmentation in memory a flipped, shifted batch released: nothing of its plan left.
        const idx = [0, 1, 2, 3, 4, 5, 6, 7];
        (await td.train.batch(idx, createRng(5))).release?.();
        const plain = await td.train.batch(idx);
        const wantPlain = new Float32Array(idx.length * per);
        idx.forEach((k, j) => scaleInto(wantPlain, j * per, frames[td.trainIndices[k]], per));
        expect(sameBits(plain.x, wantPlain)).toBe(true);
        expect(Array.from(plain.yDeg)).toEqual(idx.map((k) => td.train.anglesDeg[k]));
        const v = await td.val.batch([0, 1, 2]);
        const wantV = new Float32Array(3 * per);
        for (let j = 0; j < 3; j++) scaleInto(wantV, j * per, frames[td.valIndices[j]], per);
        expect(sameBits(v.x, wantV)).toBe(true);
      }
    });
  }
});
