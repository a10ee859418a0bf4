/**
 * Which frames a render covers: [from, to) on the data set's time axis,
 * within one video of a several-video data set, and one-line errors for a
 * range that is empty, reversed or straddles two videos.
 */
import { describe, expect, it } from 'vitest';
import { rangeFrames } from '../../src/render/drive-video.ts';
import type { RunData } from '../../src/saliency/run-data.ts';

/** A data set of videos with these frame counts at 10 fps, back to back on one time axis. */
function fakeData(counts: number[]): RunData {
  const total = counts.reduce((a, b) => a + b, 0);
  const timestampsS = Float64Array.from({ length: total }, (_, i) => i / 10);
  let first = 0;
  const parts = counts.map((frames) => {
    const p = { firstFrame: first, frames, spec: { source: `v${first}.mp4` } };
    first += frames;
    return p;
  });
  return { ds: { frames: { timestampsS } }, parts } as unknown as RunData;
}

describe('rangeFrames', () => {
  it('covers the whole drive by default, and [from, to) when given', () => {
    const d = fakeData([100]);
    expect(rangeFrames(d, undefined, undefined)).toMatchObject({ first: 0, end: 100 });
    expect(rangeFrames(d, 2, 4)).toMatchObject({ first: 20, end: 40 });
    expect(rangeFrames(d, 9.55, undefined)).toMatchObject({ first: 96, end: 100 });
  });

  it('stays in one video of several: by default the one the range starts in', () => {
    const d = fakeData([50, 30]);
    expect(rangeFrames(d, undefined, undefined)).toMatchObject({ first: 0, end: 50 });
    const second = rangeFrames(d, 6, undefined);
    expect(second).toMatchObject({ first: 60, end: 80 });
    expect(second.part.firstFrame).toBe(50);
    expect(() => rangeFrames(d, 4, 6)).toThrow('the range 4 s to 6 s spans two videos of the data set (the next starts at 5.00 s); render one video at a time with --from/--to');
  });

  it('refuses an empty or reversed range in one line naming the drive\'s span', () => {
    const d = fakeData([100]);
    expect(() => rangeFrames(d, 20, undefined)).toThrow('no frame from 20 s on: the drive runs from 0.00 s to 9.90 s; pick --from/--to within it');
    expect(() => rangeFrames(d, 3, 3)).toThrow('--to 3 s is not after --from 3 s; give a range with to > from');
  });
});
