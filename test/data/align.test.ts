import { describe, expect, it } from 'vitest';
import { alignByFrame, alignByImage, alignByTime, describeAlignment } from '../../src/data/align.ts';
import type { LabelRow } from '../../src/data/types.ts';

const row = (timeS: number, deg: number, extra: Partial<LabelRow> = {}): LabelRow => ({ timeS, steeringDeg: deg, extras: {}, line: 0, ...extra });

describe('alignByTime', () => {
  it('interpolates linearly between label rows (hand-computed)', () => {
    const rows = [row(0, 0), row(0.1, 10), row(0.2, -10)];
    const { anglesDeg, report } = alignByTime([0, 0.025, 0.1, 0.15, 0.19], rows, { offsetMs: 0, maxGapMs: 150 });
    // 0.025 is 1/4 of the way 0 -> 10: 2.5; 0.15 is halfway 10 -> -10: 0; 0.19: 10 - 0.9*20 = -8.
    expect(Array.from(anglesDeg)).toEqual([0, 2.5, 10, expect.closeTo(0, 5), expect.closeTo(-8, 5)]);
    expect(report).toMatchObject({ method: 'time', matched: 5, unmatchedFrames: 0, unmatchedLabels: 0, gaps: [] });
  });

  it('adds offsetMs to label times', () => {
    const rows = [row(0, 0), row(1, 100)];
    // Labels shifted +250 ms: frame 0.5 s sits at label time 0.25 s -> 25 deg.
    const { anglesDeg } = alignByTime([0.5], rows, { offsetMs: 250, maxGapMs: 2000 });
    expect(anglesDeg[0]).toBeCloseTo(25, 5);
  });

  it('drops frames farther than maxGapMs from any label, counts them and lists the gaps', () => {
    // Labels cover 0..0.2 s and 1.0..1.1 s of a 0..1.5 s video at 10 fps.
    const rows = [row(0, 1), row(0.1, 2), row(0.2, 3), row(1.0, 4), row(1.1, 5), row(5, 9)];
    const frames = Array.from({ length: 16 }, (_, i) => i / 10);
    const { anglesDeg, report } = alignByTime(frames, rows, { offsetMs: 0, maxGapMs: 150 });
    // 0.3 is 100 ms from the 0.2 label: held at 3; 0.4..0.8 are > 150 ms away: NaN; 0.9 holds 4; 1.2 holds 5.
    const got = Array.from(anglesDeg).map((v) => (Number.isNaN(v) ? null : Math.round(v * 1e6) / 1e6));
    expect(got).toEqual([1, 2, 3, 3, null, null, null, null, null, 4, 4, 5, 5, null, null, null]);
    expect(report.matched).toBe(8);
    expect(report.unmatchedFrames).toBe(8);
    expect(report.unmatchedLabels).toBe(1); // the label at 5 s is past the video end
    expect(report.gaps).toEqual([
      { startS: 0.2, endS: 1.0 },
      { startS: 1.1, endS: 1.5 },
    ]);
    expect(describeAlignment(report, 16).join(' | ')).toMatch(/8 of 16 frames \(50%\).*\| 1 label rows match no frame \| 2 label gaps totalling 1\.2 s/);
  });

  it('uses centre rows only for the timeline', () => {
    const rows = [row(0, 0, { camera: 'center' }), row(0, 5, { camera: 'left' }), row(1, 10, { camera: 'center' })];
    expect(alignByTime([0.5], rows, { offsetMs: 0, maxGapMs: 2000 }).anglesDeg[0]).toBeCloseTo(5, 6);
  });
});

describe('alignByFrame / alignByImage', () => {
  it('matches by frame index and reports runs of missing frames in seconds', () => {
    const rows: LabelRow[] = [0, 1, 4, 9].map((f) => ({ frameIndex: f, steeringDeg: f * 2, extras: {}, line: f + 2 }));
    const { anglesDeg, report } = alignByFrame(6, rows, { fps: 10 });
    expect(Array.from(anglesDeg).map((v) => (Number.isNaN(v) ? null : v))).toEqual([0, 2, null, null, 8, null]);
    expect(report).toMatchObject({ method: 'frame', matched: 3, unmatchedFrames: 3, unmatchedLabels: 1 });
    expect(report.gaps).toEqual([
      { startS: 0.2, endS: 0.4 },
      { startS: 0.5, endS: 0.6 },
    ]);
  });

  it('matches by path, then file name, then name without extension', () => {
    const frames = ['IMG/center_1.jpg', 'IMG/left_1.jpg', 'center/1479.png', 'other.jpg'];
    const rows: LabelRow[] = [
      { image: 'IMG/center_1.jpg', steeringDeg: 1, extras: {}, line: 1 },
      { image: 'C:/x/left_1.jpg', steeringDeg: 2, extras: {}, line: 2 },
      { image: '1479.jpg', steeringDeg: 3, extras: {}, line: 3 },
      { image: 'missing.jpg', steeringDeg: 4, extras: {}, line: 4 },
    ];
    const { anglesDeg, report } = alignByImage(frames, rows);
    expect(Array.from(anglesDeg).map((v) => (Number.isNaN(v) ? null : v))).toEqual([1, 2, 3, null]);
    expect(report).toMatchObject({ method: 'image', matched: 3, unmatchedFrames: 1, unmatchedLabels: 1 });
  });

  it('rowOrder lists matched frames in label order (side cameras next to their centre image)', () => {
    // Name order groups cameras; label order is by time.
    const frames = ['IMG/center_1.jpg', 'IMG/center_2.jpg', 'IMG/left_1.jpg', 'IMG/left_2.jpg'];
    const rows: LabelRow[] = ['center_1', 'left_1', 'center_2', 'left_2'].map((n, k) => ({ image: `IMG/${n}.jpg`, steeringDeg: k, extras: {}, line: k }));
    const { anglesDeg, rowOrder } = alignByImage(frames, rows);
    expect(Array.from(rowOrder as Int32Array)).toEqual([0, 2, 1, 3]);
    expect(Array.from(anglesDeg)).toEqual([0, 2, 1, 3]);
  });
});
