/** Routes, what a reload restores, chart shaping and frame lookup of the renderer (pure parts). */
import { describe, expect, it } from 'vitest';
import { formatRoute, parseRoute, type Route } from '../../renderer/src/lib/routes.ts';
import { mergeShape } from '../../renderer/src/lib/persist.ts';
import { ema, timeBlocks, withGaps } from '../../renderer/src/lib/smooth.ts';
import { nearestSample, sameDrive } from '../../renderer/src/lib/frames.ts';

describe('hash routes', () => {
  it('round-trips every view with its id', () => {
    const routes: Route[] = [
      { view: 'dataset' }, { view: 'experiment' }, { view: 'live' },
      { view: 'compare', experimentId: null }, { view: 'compare', experimentId: '2026-12-06T00-40-01_head-study' },
      { view: 'run', runId: 'r.1_a-b' }, { view: 'study', studyRunId: null }, { view: 'study', studyRunId: 's1' },
    ];
    for (const r of routes) expect(parseRoute(formatRoute(r))).toEqual(r);
    expect(formatRoute({ view: 'dataset' })).toBe('#/data');
    expect(formatRoute({ view: 'compare', experimentId: 'e1' })).toBe('#/compare/e1');
  });
  it('ignores unknown views and ids the contract would refuse', () => {
    expect(parseRoute('')).toBeNull();
    expect(parseRoute('#/nowhere')).toBeNull();
    expect(parseRoute('#/run')).toBeNull();
    expect(parseRoute('#/run/..%2F..%2Fetc')).toBeNull();
    expect(parseRoute('#/compare/%E0%A4%A')).toEqual({ view: 'compare', experimentId: null });
    expect(parseRoute('#/compare/a b')).toEqual({ view: 'compare', experimentId: null });
  });
});

describe('restoring stored form values', () => {
  const defaults = { name: 'head-study', epochs: 5, clipNorm: null as number | null, batchnorm: false, input: { width: 200, height: 66 } };
  it('takes stored values of the defaults\' types and keeps defaults elsewhere', () => {
    expect(mergeShape(defaults, { name: 'quick', epochs: 2, clipNorm: 1.5, batchnorm: true, input: { width: 64 } }))
      .toEqual({ name: 'quick', epochs: 2, clipNorm: 1.5, batchnorm: true, input: { width: 64, height: 66 } });
  });
  it('drops wrong types, non-finite numbers, unknown keys and non-objects', () => {
    expect(mergeShape(defaults, { name: 3, epochs: '2', clipNorm: 'x', batchnorm: 1, input: [1], extra: 1 })).toEqual(defaults);
    expect(mergeShape(defaults, { epochs: null })).toEqual(defaults);
    expect(mergeShape(defaults, 'garbage')).toEqual(defaults);
    expect(mergeShape(defaults, null)).toEqual(defaults);
  });
});

describe('chart shaping', () => {
  it('EMA: 0 leaves the series, a constant stays constant (debiased), a step is followed gradually', () => {
    const flat = [1, 2, 3].map((x) => ({ x, y: 4 }));
    expect(ema(flat, 0)).toEqual(flat);
    for (const p of ema(flat, 0.9)) expect(p.y).toBeCloseTo(4, 12);
    const step = [0, 0, 10, 10].map((y, x) => ({ x, y }));
    const s = ema(step, 0.5);
    expect(s[1].y).toBe(0);
    expect(s[2].y).toBeGreaterThan(0);
    expect(s[2].y).toBeLessThan(10);
    expect(s[3].y).toBeGreaterThan(s[2].y);
    // Hand derivation of the debiased average at i = 2: (0.5*0.5*0 + 0.5*0.5*0 + 0.5*10) / (1 - 0.5^3) = 5 / 0.875.
    expect(s[2].y).toBeCloseTo(5 / 0.875, 12);
  });
  it('EMA passes non-finite values through without poisoning later points', () => {
    const s = ema([{ x: 0, y: 1 }, { x: 1, y: NaN }, { x: 2, y: 1 }], 0.5);
    expect(Number.isNaN(s[1].y)).toBe(true);
    expect(s[2].y).toBeCloseTo(1, 12);
  });
  it('breaks a line over gaps, and finds the blocks of validation times', () => {
    const t = [0, 0.1, 0.2, 5, 5.1, 5.2, 9, 9.1];
    const { gapS, boundariesS } = timeBlocks(t);
    expect(gapS).toBeCloseTo(0.3, 9);
    expect(boundariesS).toEqual([2.6, 7.1]);
    const g = withGaps(t.map((x) => ({ x, y: 1 })), gapS);
    expect(g).toHaveLength(t.length + 2);
    expect(g.filter((p) => Number.isNaN(p.y)).map((p) => p.x)).toEqual([2.6, 7.1]);
    expect(timeBlocks([0, 0.1, 0.2]).boundariesS).toEqual([]);
    expect(timeBlocks([]).boundariesS).toEqual([]);
  });
});

describe('frames behind a chart point', () => {
  const times = [0, 0.05, 0.1, 0.15, 10, 10.05];
  it('finds the nearest sample within the tolerance', () => {
    expect(nearestSample(times, 0.1, 0.025)).toBe(2);
    expect(nearestSample(times, 0.11, 0.025)).toBe(2);
    expect(nearestSample(times, 10.04, 0.025)).toBe(5);
    expect(nearestSample(times, 5, 0.025)).toBeNull();
    expect(nearestSample([], 1, 1)).toBeNull();
    expect(nearestSample(times, NaN, 1)).toBeNull();
  });
  it('matches the open data set to the run\'s drive by source and model input size', () => {
    const open = { spec: { source: '/d/a.mp4', input: { width: 64, height: 32 } } };
    expect(sameDrive(open, { source: '/d/a.mp4', input: { width: 64, height: 32 } })).toBe(true);
    expect(sameDrive(open, { source: '/d/a.mp4 + /d/b.mp4', input: { width: 64, height: 32 } })).toBe(true);
    expect(sameDrive(open, { source: '/d/a.mp4', input: { width: 200, height: 66 } })).toBe(false);
    expect(sameDrive(open, { source: '/d/c.mp4', input: { width: 64, height: 32 } })).toBe(false);
  });
});
