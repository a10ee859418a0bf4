/**
 * Pure logic behind issue 13's labels: diagnostics named after the run's
 * head, exact-zero gradients told apart from non-finite ones, per-step
 * histories, skipped runs of a cancelled grid, the steering columns a
 * failed open offers, and the download's description.
 */
import { describe, expect, it } from 'vitest';
import {
  gradHeatmap, headPreActivationLabel, headSaturates, headSaturationHistory, layerHistory, plannedRunLabel,
} from '../../renderer/src/lib/series.ts';
import { steeringColumnsOf } from '../../renderer/src/lib/label-columns.ts';
import { describeDownload } from '../../renderer/src/lib/download.ts';
import { parseGenericCsv } from '../../src/data/csv-generic.ts';
import type { DiagnosticsSnapshot } from '../../src/contract/index.ts';

const layer = (name: string, o: { grad?: number; std?: number | null; dead?: number | null; sat?: number | null } = {}) => ({
  name, gradNorm: o.grad ?? 1, weightNorm: 1, updateRatio: null, actMean: null, actStd: o.std ?? null,
  deadFraction: o.dead ?? null, saturatedFraction: o.sat ?? null, nonFinite: 0,
});
const head = (saturatedFraction: number) => ({
  name: 'head', preMean: 0, preStd: 1, preMin: -3, preMax: 3, histogram: { edges: [-1, 0, 1], counts: [1, 1] }, saturatedFraction,
  predMin: -1, predMax: 1, targetMin: -1, targetMax: 1, lossRaw: 1, lossWeight: 1, lossWeighted: 1,
});
const snap = (step: number, layers: ReturnType<typeof layer>[], heads = [head(0.5)]): DiagnosticsSnapshot => ({ step, epoch: 0, layers, heads });

describe('diagnostics labels', () => {
  it('keeps an exact-zero gradient (-Infinity) apart from a non-finite one (NaN)', () => {
    const h = gradHeatmap([snap(0, [layer('conv1', { grad: 0 }), layer('dense1', { grad: NaN }), layer('head', { grad: 100 })])]);
    expect(h.log10[0][0]).toBe(-Infinity);
    expect(h.log10[1][0]).toBeNaN();
    expect(h.log10[2][0]).toBe(2);
  });

  it('names the head pre-activation after the head kind', () => {
    expect(headPreActivationLabel('linear')).toMatch(/linear head/);
    expect(headPreActivationLabel('linear')).not.toMatch(/tanh/);
    expect(headPreActivationLabel('tanh')).toMatch(/tanh head: before tanh/);
    expect(headPreActivationLabel('scaled_tanh')).toMatch(/scaled_tanh head/);
    expect(headSaturates('linear')).toBe(false);
    expect(headSaturates('tanh')).toBe(true);
    expect(headSaturates('scaled_tanh')).toBe(true);
  });

  it('gives every layer a history over the logged steps, leaving out null values', () => {
    const snaps = [
      snap(0, [layer('conv1', { std: 1, dead: 0.1 }), layer('dense1', { std: 2, sat: null })]),
      snap(5, [layer('conv1', { std: 0.5, dead: 0.2 }), layer('dense1', { std: 3 })]),
    ];
    expect(layerHistory(snaps, 'actStd')).toEqual([
      { label: 'conv1', points: [{ x: 0, y: 1 }, { x: 5, y: 0.5 }] },
      { label: 'dense1', points: [{ x: 0, y: 2 }, { x: 5, y: 3 }] },
    ]);
    expect(layerHistory(snaps, 'deadFraction')).toEqual([{ label: 'conv1', points: [{ x: 0, y: 0.1 }, { x: 5, y: 0.2 }] }]);
    expect(layerHistory(snaps, 'saturatedFraction')).toEqual([]);
  });

  it("tracks a tanh head's saturation over steps, and none for a linear head", () => {
    const snaps = [snap(0, [], [head(0.25)]), snap(10, [], [head(1)])];
    expect(headSaturationHistory(snaps, 'tanh')).toEqual([{ label: 'head (tanh head)', points: [{ x: 0, y: 0.25 }, { x: 10, y: 1 }] }]);
    expect(headSaturationHistory(snaps, 'linear')).toEqual([]);
  });

  it('shows the runs a cancelled grid never started as skipped, not waiting', () => {
    expect(plannedRunLabel(true)).toBe('waiting');
    expect(plannedRunLabel(false)).toBe('skipped');
  });
});

describe('steering column choice', () => {
  it('reads the columns a "no steering column" error found', () => {
    expect(steeringColumnsOf('/d/no-steering.csv line 1: no steering column found among: time, speed, wheel; name it "steering" or pass --steering-column NAME'))
      .toEqual(['time', 'speed', 'wheel']);
    expect(steeringColumnsOf('log.csv line 1: no angle column among: center, left, throttle; pass --steering-column NAME')).toEqual(['center', 'left', 'throttle']);
    // A column chosen for another file that this one lacks: offered again.
    expect(steeringColumnsOf('b.csv line 1: no column named "wheel" for the steering (columns: time, steering); pass one of these names to the steering column option'))
      .toEqual(['time', 'steering']);
  });

  it("offers the columns of the lab's own error, and the chosen one opens the file", () => {
    const text = 'time,speed,wheel_pos\n0,1,2\n0.1,1,3\n';
    let message = '';
    try {
      parseGenericCsv(text, 'log.csv', {});
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/--steering-column/);
    const cols = steeringColumnsOf(message);
    expect(cols).toEqual(['time', 'speed', 'wheel_pos']);
    expect(parseGenericCsv(text, 'log.csv', { steeringColumn: cols![2] }).rows).toHaveLength(2);
  });

  it('offers nothing for other errors', () => {
    expect(steeringColumnsOf('x.csv line 1: no time, frame or image column found among: a, b; name one "time"')).toBeNull();
    expect(steeringColumnsOf(null)).toBeNull();
  });
});

describe('export download', () => {
  it('describes the downloaded file with its size in KiB', () => {
    expect(describeDownload('e1-report.html', 2048)).toBe('e1-report.html (2.0 KiB)');
  });
});
