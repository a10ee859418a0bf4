/** Chart details of the Live and Run detail views: padded y ranges, regular heatmap column labels, one bar per layer, the plan after a re-attach. */
import { describe, expect, it } from 'vitest';
import { labelledColumns, paddedRange } from '../../renderer/src/lib/axis.ts';
import { deadSaturatedBars, notStarted, plannedAfterAttach } from '../../renderer/src/lib/series.ts';
import type { DiagnosticsSnapshot } from '../../src/contract/index.ts';

describe('paddedRange', () => {
  it('goes beyond both extremes, so a series at 0° on a left-hand bend is not on the edge', () => {
    // True angles down to -274°, predictions just below 0: the old axis ended at 0 exactly.
    const r = paddedRange([-274.24, 0, -0.11, -0.01], 0.05, 1)!;
    expect(r.max).toBeGreaterThan(0);
    expect(r.min).toBeLessThan(-274.24);
    expect(r.max).toBeCloseTo(0 + 274.24 * 0.05, 6);
    expect(r.min).toBeCloseTo(-274.24 - 274.24 * 0.05, 6);
  });
  it('gives a flat series at least minPad either side, skips non-finite values, and is null without any', () => {
    expect(paddedRange([3, 3, NaN, Infinity], 0.05, 1)).toEqual({ min: 2, max: 4 });
    expect(paddedRange([NaN], 0.05, 1)).toBeNull();
    expect(paddedRange([], 0.05, 1)).toBeNull();
  });
});

describe('labelledColumns', () => {
  it('labels every column when the labels fit', () => {
    expect(labelledColumns(8, 60, 17)).toEqual({ stride: 1, indices: [0, 1, 2, 3, 4, 5, 6, 7] });
  });
  it('otherwise every 2nd, 5th, 10th, … column from the first: the gaps are all equal', () => {
    // 9 columns of 12 px, labels 20 px wide: every 2nd (the old pick, 0 2 3 5 6 8, was irregular).
    expect(labelledColumns(9, 12, 20)).toEqual({ stride: 2, indices: [0, 2, 4, 6, 8] });
    expect(labelledColumns(40, 5, 22).stride).toBe(5);
    const many = labelledColumns(400, 1.2, 30);
    expect(many.stride).toBe(50);
    for (let i = 1; i < many.indices.length; i++) expect(many.indices[i] - many.indices[i - 1]).toBe(50);
    // Labels never closer than their width.
    for (const [n, cw, lw] of [[9, 12, 20], [40, 5, 22], [400, 1.2, 30], [100, 3, 31]] as const) {
      const { stride } = labelledColumns(n, cw, lw);
      expect(stride * cw >= lw || stride >= n).toBe(true);
    }
  });
  it('labels the one column of a one-column map, and none of an empty one', () => {
    expect(labelledColumns(1, 2, 50).indices).toEqual([0]);
    expect(labelledColumns(0, 10, 10).indices).toEqual([]);
  });
});

describe('deadSaturatedBars', () => {
  const layer = (name: string, dead: number | null, sat: number | null) => ({ name, deadFraction: dead, saturatedFraction: sat });
  const snap = (layers: ReturnType<typeof layer>[], heads: { name: string; saturatedFraction: number }[]) => ({ layers, heads }) as unknown as DiagnosticsSnapshot;

  it('puts a tanh head\'s saturation in the layer of the same name: one label per layer, none drawn twice', () => {
    const b = deadSaturatedBars(snap([layer('conv1', 0.1, null), layer('dense1', 0, null), layer('head', null, null)], [{ name: 'head', saturatedFraction: 0.25 }]), 'tanh');
    expect(b.labels).toEqual(['conv1', 'dense1', 'head (tanh head)']);
    expect(b.dead).toEqual([0.1, 0, null]);
    expect(b.saturated).toEqual([null, null, 0.25]);
  });
  it('adds the head as its own bar when no layer carries its name (or that layer has its own saturation)', () => {
    const b = deadSaturatedBars(snap([layer('conv1', 0.1, 0.2), layer('out', null, 0.3)], [{ name: 'out', saturatedFraction: 0.5 }]), 'scaled_tanh');
    expect(b.labels).toEqual(['conv1', 'out', 'out (scaled_tanh head)']);
    expect(b.saturated).toEqual([0.2, 0.3, 0.5]);
    expect(b.dead).toEqual([0.1, null, null]);
  });
  it('leaves a linear head out (it cannot saturate)', () => {
    const b = deadSaturatedBars(snap([layer('conv1', 0.1, null), layer('head', null, null)], [{ name: 'head', saturatedFraction: 0 }]), 'linear');
    expect(b.labels).toEqual(['conv1', 'head']);
  });
});

describe('the plan of a re-attached grid', () => {
  it('lists the started runs, then the waiting cells, each once', () => {
    expect(plannedAfterAttach(['g a=1'], ['g a=2', 'g a=3'])).toEqual(['g a=1', 'g a=2', 'g a=3']);
    // A cell that started while the backend answered is in both lists.
    expect(plannedAfterAttach(['g a=1', 'g a=2'], ['g a=2', 'g a=3'])).toEqual(['g a=1', 'g a=2', 'g a=3']);
  });
  it('shows as not started the planned runs without a started run of that name, in plan order', () => {
    expect(notStarted(['a', 'b', 'c', 'd'], [{ name: 'c' }, { name: 'a' }])).toEqual(['b', 'd']);
  });
});
