/**
 * The pixel pass on the wasm engine (kernels/pixels.c via rawBatchTensor, what
 * a gradient worker feeds the model) against the JavaScript pass
 * (rawBatchInto): the same floats, bit for bit, for every kind of drawn
 * augmentation, on whole batches and on shards (views into a larger batch).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { AugmentConfig } from '../../src/data/augment.ts';
import { drawPixelPlan, unitSum } from '../../src/data/augment-bytes.ts';
import { allocRawBatch, rawBatchInto, rawShard, type RawBatch } from '../../src/data/raw-batch.ts';
import { initEngine, tf } from '../../src/engine/index.ts';
import { rawBatchTensor } from '../../src/engine/raw-input.ts';
import { createRng } from '../../src/rng.ts';

/** A raw batch of n random frames with augmentation drawn from cfg (flat frames: a few values, clamping at the ends). */
function drawnBatch(n: number, h: number, w: number, c: number, cfg: AugmentConfig, seed: number): RawBatch {
  const per = h * w * c;
  const raw = allocRawBatch(n, h, w, c);
  const r = createRng(seed);
  for (let j = 0; j < n; j++) {
    const px = raw.bytes.subarray(j * per, (j + 1) * per);
    const flat = j % 3 === 0;
    for (let p = 0; p < per; p++) px[p] = flat ? [0, 255, 128][r.int(3)] : r.int(256);
    const plan = drawPixelPlan(px, h, w, c, j - 2.5, cfg, r, j % 2 ? unitSum(px, per) : undefined, raw.tables.subarray(j * 256, j * 256 + 256));
    raw.flip[j] = plan.flip ? 1 : 0;
    raw.shift[j] = plan.shift;
    raw.hasTable[j] = plan.table ? 1 : 0;
  }
  return raw;
}

const configs: Record<string, Partial<AugmentConfig>> = {
  none: { flip: false, brightness: 0, contrast: 0 },
  flip: { flip: true, brightness: 0, contrast: 0 },
  flipBc: { flip: true, brightness: 0.2, contrast: 0.2 },
  shift: { flip: true, brightness: 0.2, contrast: 0.2, shiftPx: 3, shiftDegPerPx: 0.7 },
  shiftWide: { flip: true, brightness: 0, contrast: 0, shiftPx: 40, shiftDegPerPx: 0.1 },
};

describe('rawBatchTensor (the pixel pass in the wasm engine)', () => {
  beforeAll(async () => {
    await initEngine('wasm');
  });

  for (const [name, partial] of Object.entries(configs)) {
    it(`gives rawBatchInto's floats bit for bit: ${name}`, () => {
      const cfg = AugmentConfig.parse(partial);
      for (const [h, w, c] of [[66, 200, 3], [5, 7, 3], [4, 9, 1]] as const) {
        const n = 7;
        const raw = drawnBatch(n, h, w, c, cfg, h * w + n);
        // Some samples really are flipped, shifted or tabled (the draw covered the cases it should).
        if (cfg.flip) expect(Array.from(raw.flip)).toContain(1);
        if (cfg.shiftPx > 0) expect(Array.from(raw.shift).some((s) => s !== 0)).toBe(true);
        for (const part of [raw, rawShard(raw, 2, 6)]) {
          const want = rawBatchInto(part, new Float32Array(part.n * h * w * c));
          const t = rawBatchTensor(part)!;
          expect(t.shape).toEqual([part.n, h, w, c]);
          const got = t.dataSync() as Float32Array;
          t.dispose();
          expect(Buffer.compare(Buffer.from(got.buffer, got.byteOffset, got.byteLength), Buffer.from(want.buffer)), `${name} ${h}x${w}x${c} n=${part.n}`).toBe(0);
        }
      }
    });
  }

  it('frees its staging memory (only the input tensor stays)', () => {
    const raw = drawnBatch(4, 6, 8, 3, AugmentConfig.parse(configs.shift), 3);
    const before = tf.memory().numBytes;
    const t = rawBatchTensor(raw)!;
    expect(tf.memory().numBytes - before).toBe(4 * 6 * 8 * 3 * 4);
    t.dispose();
    expect(tf.memory().numBytes).toBe(before);
  });

  it('declines on other engines (the caller runs the JavaScript pass)', async () => {
    await tf.setBackend('cpu');
    try {
      expect(rawBatchTensor(drawnBatch(1, 2, 2, 3, AugmentConfig.parse({}), 1))).toBeNull();
    } finally {
      await tf.setBackend('wasm');
    }
  });
});
