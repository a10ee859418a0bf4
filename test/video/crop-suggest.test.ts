/**
 * The suggested road crop on generated frames: the band edges it must find,
 * and the cases where it must say "no crop" (noise everywhere, a still
 * picture, too little input, bands that would take most of the height).
 */
import { describe, expect, it } from 'vitest';
import { CropSuggestion, MAX_CROP_FRACTION, rowStructureScores, suggestCrop } from '../../src/video/crop-suggest.ts';
import { sampleSize, spreadPick } from '../../src/video/sample.ts';

/** A deterministic generator (mulberry32) so the "random" content is the same every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Frames with rows [0, top) a uniform sky whose brightness changes per
 * frame, rows [h - bottom, h) a fixed bonnet pattern, and in between a
 * road: stripes that move sideways from frame to frame, plus noise.
 */
function drive(n: number, w: number, h: number, top: number, bottom: number, seed = 1): Uint8Array[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, t) => {
    const f = new Uint8Array(w * h * 3);
    const light = 150 + 60 * Math.sin(t / 3);
    const shift = Math.floor(r() * w);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const o = (y * w + x) * 3;
        let v: number;
        if (y < top) v = light;
        else if (y >= h - bottom) v = x % 8 < 4 ? 40 : 90; // the bonnet: the same shape in every frame
        else v = ((x + shift) % 16 < 8 ? 200 : 60) + 20 * (r() - 0.5);
        f[o] = f[o + 1] = f[o + 2] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
    return f;
  });
}

function noise(n: number, w: number, h: number, seed = 2): Uint8Array[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Uint8Array.from({ length: w * h * 3 }, () => Math.floor(r() * 256)));
}

describe('rowStructureScores', () => {
  it('is the std over frames of each pixel minus its row mean (hand-derived: two pixels swapping 0 and 255 -> 127.5)', () => {
    // One row of two pixels: frame A = [0, 255], frame B = [255, 0] (all channels). Row mean 127.5 in both,
    // residuals +-127.5 alternating, so each pixel's std over the two frames is 127.5.
    const a = Uint8Array.from([0, 0, 0, 255, 255, 255]);
    const b = Uint8Array.from([255, 255, 255, 0, 0, 0]);
    expect(rowStructureScores([a, b], 2, 1)[0]).toBeCloseTo(127.5, 9);
    // A uniform row whose brightness changes has no structure to vary: 0.
    const dark = new Uint8Array(6).fill(10);
    const bright = new Uint8Array(6).fill(240);
    expect(rowStructureScores([dark, bright], 2, 1)[0]).toBe(0);
  });

  it('rejects frames of the wrong size', () => {
    expect(() => rowStructureScores([new Uint8Array(5)], 2, 1)).toThrow(/expected 6 bytes/);
  });
});

describe('suggestCrop', () => {
  it('finds a sky band at the top and a bonnet band at the bottom, in source pixels, with its reason', () => {
    // 64x48 sample of a 640x480 source: 10 source rows per sample row.
    const s = suggestCrop(drive(60, 64, 48, 12, 8), 64, 48, { sourceHeight: 480 });
    expect(CropSuggestion.parse(s)).toEqual(s);
    expect(s.found).toBe(true);
    expect(s.crop).toEqual({ top: 120, bottom: 80, left: 0, right: 0 });
    expect(s.topRows).toEqual({ from: 0, to: 119 });
    expect(s.bottomRows).toEqual({ from: 400, to: 479 });
    expect(s.rowHeightPx).toBe(10);
    expect(s.rowScores).toHaveLength(48);
    expect(s.reason).toMatch(/rows 0-119 \(probably sky\) and rows 400-479 \(probably the bonnet\) vary least .* suggested --crop 120,80,0,0/);
    // The evidence: the stable rows score under the threshold, the road rows above it.
    expect(Math.max(...s.rowScores.slice(0, 12), ...s.rowScores.slice(40))).toBeLessThan(s.thresholdScore);
    expect(Math.min(...s.rowScores.slice(12, 40))).toBeGreaterThan(s.thresholdScore);
  });

  it('rounds a band down to even source pixels (never crops road; 4:2:0 video crops by 2 px)', () => {
    // 3 source rows per sample row: 7 sky rows -> 21 px -> 20.
    const s = suggestCrop(drive(40, 32, 40, 7, 0), 32, 40, { sourceHeight: 120 });
    expect(s.crop).toEqual({ top: 20, bottom: 0, left: 0, right: 0 });
  });

  it('all-random frames: no crop, and says so', () => {
    const s = suggestCrop(noise(50, 48, 32), 48, 32, { sourceHeight: 32 });
    expect(s.found).toBe(false);
    expect(s.crop).toEqual({ top: 0, bottom: 0, left: 0, right: 0 });
    expect(s.reason).toMatch(/no band at the top or bottom varies much less.*no crop suggested/);
    expect(s.rowScores).toHaveLength(32);
  });

  it('a still picture (nothing moves): no crop, "hardly changes"', () => {
    const still = drive(1, 32, 24, 6, 4)[0];
    const s = suggestCrop(Array.from({ length: 20 }, () => still), 32, 24, { sourceHeight: 24 });
    expect(s.found).toBe(false);
    expect(s.reason).toMatch(/hardly changes/);
  });

  it('tiny input: too few rows or frames gives no crop instead of a guess', () => {
    const rows = suggestCrop(drive(30, 16, 4, 1, 1), 16, 4, { sourceHeight: 4 });
    expect(rows.found).toBe(false);
    expect(rows.reason).toMatch(/too little to go on/);
    const frames = suggestCrop(drive(2, 16, 32, 8, 4), 16, 32, { sourceHeight: 32 });
    expect(frames.found).toBe(false);
    expect(frames.reason).toMatch(/2 frames/);
    expect(suggestCrop([], 16, 32, { sourceHeight: 32 }).found).toBe(false);
  });

  it(`never suggests cropping more than ${100 * MAX_CROP_FRACTION}% of the height`, () => {
    // Sky 20 rows + bonnet 12 rows of 48 = 67% stable.
    const s = suggestCrop(drive(60, 64, 48, 20, 12), 64, 48, { sourceHeight: 48 });
    expect(s.found).toBe(false);
    expect(s.crop).toEqual({ top: 0, bottom: 0, left: 0, right: 0 });
    expect(s.topRows).toEqual({ from: 0, to: 19 });
    expect(s.reason).toMatch(/remove 67% of the height \(more than 60%\): no crop suggested/);
  });

  it('ignores a band thinner than 3% of the height (one quiet edge row is not sky)', () => {
    const s = suggestCrop(drive(60, 64, 64, 1, 0), 64, 64, { sourceHeight: 64 });
    expect(s.found).toBe(false);
  });
});

describe('frame sampling helpers', () => {
  it('spreadPick spreads n picks evenly over the candidates, all of them when fewer', () => {
    expect(spreadPick([5, 6, 7], 10)).toEqual([5, 6, 7]);
    expect(spreadPick(Array.from({ length: 100 }, (_, i) => i), 4)).toEqual([12, 37, 62, 87]);
  });

  it('sampleSize keeps the aspect ratio, at most 120 rows and 160 columns, even', () => {
    expect(sampleSize(640, 480)).toEqual({ width: 160, height: 120 });
    expect(sampleSize(320, 160)).toEqual({ width: 160, height: 80 });
    expect(sampleSize(64, 32)).toEqual({ width: 64, height: 32 });
    expect(sampleSize(640, 480, { top: 80, bottom: 0, left: 0, right: 0 })).toMatchObject({ width: 160, height: 100, crop: { top: 80 } });
    expect(() => sampleSize(64, 32, { top: 20, bottom: 12, left: 0, right: 0 })).toThrow(/leaves nothing/);
  });
});
