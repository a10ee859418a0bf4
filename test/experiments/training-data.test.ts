import { describe, expect, it } from 'vitest';
import { datasetToTrainingData, FrameReader } from '../../src/experiments/training-data.ts';
import { createRng } from '../../src/rng.ts';
import { AugmentConfig, SplitConfig } from '../../src/train/config.ts';
import type { Dataset, FrameStore } from '../../src/video/types.ts';

const W = 4;
const H = 2;

/** Frame i has every byte equal to i (mod 256), so a read-back names its frame. */
function store(count: number): FrameStore & { reads: number } {
  return {
    count, width: W, height: H, channels: 3, timestampsS: Float64Array.from({ length: count }, (_, i) => i / 10), reads: 0,
    read(i: number) {
      this.reads++;
      return new Uint8Array(W * H * 3).fill(i % 256);
    },
    close() {},
  };
}

function dataset(count: number): Dataset {
  const frames = store(count);
  return {
    spec: { source: 'x.mp4', input: { width: W, height: H } }, video: { path: 'x.mp4', frames: count, fps: 10, width: W, height: H, durationS: count / 10, codec: 'h264', rotationDeg: 0, variableFrameRate: false },
    frames, labels: { path: 'l.csv', format: 'csv', units: 'degrees', unitsInferred: false, sign: 'positive-right', key: 'frame', rows: [], warnings: [] },
    // samples skip frame 0 (say it had no label): sample k is frame k + 1
    sampleFrame: Int32Array.from({ length: count - 1 }, (_, k) => k + 1),
    anglesDeg: Float32Array.from({ length: count - 1 }, (_, k) => k - 50),
    alignment: { method: 'frame', matched: count - 1, unmatchedFrames: 1, unmatchedLabels: 0, gaps: [], offsetMs: 0, maxGapMs: 0 },
    warnings: [], cachePath: '/tmp/x', cacheHit: true,
  };
}

describe('datasetToTrainingData', () => {
  const ds = dataset(101);
  const split = SplitConfig.parse({ valFraction: 0.2, blocks: 4, guardFrames: 2 });
  const noAug = AugmentConfig.parse({ flip: false, brightness: 0, contrast: 0 });

  it('splits samples into spread validation blocks with guards, and reads the right frames scaled to [0, 1]', async () => {
    const td = datasetToTrainingData(ds, split, noAug);
    expect(td.inputShape).toEqual([H, W, 3]);
    expect(td.valIndices.length).toBe(20);
    expect(td.valBlocks).toHaveLength(4);
    expect(td.trainIndices.length + td.valIndices.length).toBeLessThanOrEqual(100);
    const val = new Set(td.valIndices);
    for (const t of td.trainIndices) for (let g = -2; g <= 2; g++) expect(val.has(t + g)).toBe(false);
    const b = await td.val.batch([0, 5]);
    const s0 = td.valIndices[0];
    const s5 = td.valIndices[5];
    expect(b.size).toBe(2);
    expect(b.x[0]).toBeCloseTo((s0 + 1) / 255, 6);
    expect(b.x[W * H * 3]).toBeCloseTo((s5 + 1) / 255, 6);
    expect(Array.from(b.yDeg)).toEqual([s0 - 50, s5 - 50]);
    expect(td.val.anglesDeg[5]).toBe(s5 - 50);
  });

  it('augments training batches only (a flip negates the angle)', async () => {
    const td = datasetToTrainingData(ds, split, AugmentConfig.parse({ flip: true, brightness: 0, contrast: 0 }));
    const seen = new Set<number>();
    const rng = createRng(5);
    for (let r = 0; r < 20; r++) {
      const b = await td.train.batch([3], rng);
      seen.add(b.yDeg[0]);
    }
    const a = td.train.anglesDeg[3];
    expect(seen).toEqual(new Set([a, -a]));
    const v = await td.val.batch([3], createRng(5));
    expect(v.yDeg[0]).toBe(td.val.anglesDeg[3]);
  });

  it('the frame reader reads straight into the caller\'s buffer, also from stores that return arrays of their own', () => {
    const s = store(50);
    const per = W * H * 3;
    const reader = new FrameReader(s);
    const buf = new Uint8Array(per * 3).fill(7);
    const px = reader.readInto(9, buf.subarray(per, 2 * per));
    expect(px.buffer).toBe(buf.buffer);
    expect(Array.from(buf.subarray(per, 2 * per))).toEqual(new Array(per).fill(9));
    expect(buf[0]).toBe(7);
    expect(buf[2 * per]).toBe(7);
    expect(reader.reads).toBe(1);
    expect(s.reads).toBe(1);
    // The pixel sum is computed once per frame, then kept.
    const sum = reader.unitSum(9, px);
    expect(sum).toBe(per * Math.fround(9 / 255));
    expect(reader.unitSum(9, new Uint8Array(per))).toBe(sum);
    const short = { ...s, read: () => new Uint8Array(per - 1) };
    expect(() => new FrameReader(short).readInto(0, new Uint8Array(per))).toThrow(/frame 0 has 23 bytes, expected 24/);
  });
});
