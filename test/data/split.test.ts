import { describe, expect, it } from 'vitest';
import { blockSplit, SplitConfig } from '../../src/data/split.ts';
import { UserError } from '../../src/errors.ts';

function minDistanceToVal(train: Int32Array, blocks: { start: number; end: number }[]): number {
  let best = Infinity;
  for (const i of train) {
    for (const b of blocks) {
      const d = i < b.start ? b.start - i : i >= b.end ? i - b.end + 1 : 0;
      best = Math.min(best, d);
    }
  }
  return best;
}

describe('blockSplit', () => {
  const cases: [number, SplitConfig][] = [
    [1000, SplitConfig.parse({})],
    [5614, SplitConfig.parse({ valFraction: 0.15, blocks: 6, guardFrames: 25 })],
    [200, SplitConfig.parse({ valFraction: 0.3, blocks: 3, guardFrames: 0 })],
    [97, SplitConfig.parse({ valFraction: 0.1, blocks: 20, guardFrames: 2 })],
  ];
  for (const [n, cfg] of cases) {
    for (const seed of [1, 2, 99]) {
      it(`n=${n} ${JSON.stringify(cfg)} seed ${seed}: no leakage, exact val fraction, contiguous blocks`, () => {
        const s = blockSplit(n, cfg, seed);
        // No training frame within guardFrames of a validation block (distance 1 = adjacent).
        expect(minDistanceToVal(s.train, s.blocks)).toBeGreaterThan(cfg.guardFrames);
        expect(s.val.length).toBe(Math.round(n * cfg.valFraction));
        expect(Math.abs(s.val.length / n - cfg.valFraction)).toBeLessThanOrEqual(0.5 / n);
        // Val = union of the blocks, blocks disjoint, train and val disjoint and sorted.
        const fromBlocks = s.blocks.flatMap((b) => Array.from({ length: b.end - b.start }, (_, k) => b.start + k));
        expect(Array.from(s.val)).toEqual(fromBlocks);
        const inVal = new Set(s.val);
        expect(Array.from(s.train).some((i) => inVal.has(i))).toBe(false);
        for (let i = 1; i < s.train.length; i++) expect(s.train[i]).toBeGreaterThan(s.train[i - 1]);
        // One block per equal segment of the drive: spread, not all at the end.
        const k = s.blocks.length;
        s.blocks.forEach((b, j) => {
          expect(b.start).toBeGreaterThanOrEqual(Math.floor((j * n) / k));
          expect(b.end).toBeLessThanOrEqual(Math.floor(((j + 1) * n) / k));
        });
        // Every frame is train, val or guard, and guards are at most 2 * guard per block.
        expect(n - s.train.length - s.val.length).toBeLessThanOrEqual(2 * cfg.guardFrames * k);
      });
    }
  }

  it('is deterministic per seed and differs across seeds', () => {
    const cfg = SplitConfig.parse({});
    const a = blockSplit(2000, cfg, 7);
    const b = blockSplit(2000, cfg, 7);
    const c = blockSplit(2000, cfg, 8);
    expect(a.blocks).toEqual(b.blocks);
    expect(Array.from(a.train)).toEqual(Array.from(b.train));
    expect(a.blocks).not.toEqual(c.blocks);
  });

  it('refuses splits that leave no training data, with the fix in the message', () => {
    expect(() => blockSplit(30, SplitConfig.parse({ blocks: 4, guardFrames: 10 }), 1)).toThrow(UserError);
    expect(() => blockSplit(30, SplitConfig.parse({ blocks: 4, guardFrames: 10 }), 1)).toThrow(/fewer guard frames/);
    expect(() => blockSplit(1, SplitConfig.parse({}), 1)).toThrow(/at least 2/);
    // A handful of samples (a label file with a few rows): the data is the cause, not the number of blocks.
    expect(() => blockSplit(3, SplitConfig.parse({}), 1)).toThrow(/^only 3 labelled samples: too few to hold out validation frames with 10 guard frames on each side; the labels match too few frames/);
  });
});
