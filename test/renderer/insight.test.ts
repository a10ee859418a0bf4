/**
 * Pure renderer logic of the insight features: the validation point (and its
 * sample index) behind a clicked time, matching the open data set to a run's
 * recorded drive, the lag curve and its verdict, and the queue field.
 */
import { describe, expect, it } from 'vitest';
import { sameDrive, valPointAt, SALIENCY_CHOICES } from '../../renderer/src/lib/frames.ts';
import { lagSeries, lagVerdict } from '../../renderer/src/lib/lag.ts';
import { queueArg, queueToKeep, redactQueue } from '../../renderer/src/lib/queue.ts';
import { LagCheck } from '../../src/contract/index.ts';

describe('the frame behind a clicked validation point', () => {
  it('gives the point\'s position and its sample index in the run\'s data set', () => {
    const t = [1, 1.1, 1.2, 5, 5.1];
    const idx = [10, 11, 12, 50, 51];
    expect(valPointAt(t, idx, 5)).toEqual({ index: 3, sample: 50 });
    expect(valPointAt(t, null, 5)).toEqual({ index: 3, sample: null });
    expect(valPointAt(t, idx, 3)).toBeNull();
    expect(valPointAt(null, idx, 1)).toBeNull();
  });

  it('takes the open data set as the run\'s drive only with the same labels, offset, crop and video count', () => {
    const spec = { source: '/d/a.mp4', labels: '/d/a.csv', crop: { top: 10, bottom: 0, left: 0, right: 0 } };
    const drive = { source: '/d/a.mp4', input: { width: 64, height: 32 }, specs: [spec] };
    const open = { spec: { ...spec, input: { width: 64, height: 32 } } };
    expect(sameDrive(open, drive)).toBe(true);
    expect(sameDrive({ spec: { ...open.spec, offsetMs: 0 } }, drive)).toBe(true);
    expect(sameDrive({ spec: { ...open.spec, offsetMs: -300 } }, drive)).toBe(false);
    expect(sameDrive({ spec: { ...open.spec, labels: '/d/b.csv' } }, drive)).toBe(false);
    expect(sameDrive({ spec: { ...open.spec, crop: undefined } }, drive)).toBe(false);
    expect(sameDrive({ ...open, videos: [{}, {}] }, drive)).toBe(false);
    // Without the recorded spec (Compare's summary): source and input size only, as before.
    expect(sameDrive({ spec: { ...open.spec, offsetMs: -300 } }, { source: drive.source, input: drive.input })).toBe(true);
  });

  it('offers off and the two methods of run.saliency', () => {
    expect(SALIENCY_CHOICES.map((c) => c.label)).toEqual(['off', 'VisualBackProp', 'Grad-CAM']);
  });
});

const base = LagCheck.parse({
  offsetMs: -296, confidence: 0.81, inStep: false, evidence: 'good', reason: null, peakScore: 0.9, uncertaintyMs: 12, samples: 900,
  source: '/d/a.mp4', labels: '/d/late.csv', matchedBy: 'time', pairs: 1199, movingPairs: 1100, warnings: [],
  suggestedOffsetMs: -296, suggestedFlag: '--offset-ms -296',
  curve: [{ offsetMs: -1000, score: 0.1 }, { offsetMs: -300, score: 0.9 }, { offsetMs: 0, score: null }, { offsetMs: 1000, score: -0.2 }],
});

describe('the label-lag curve', () => {
  it('draws the scored offsets, marks the peak and shades ±150 ms', () => {
    const s = lagSeries(base);
    expect(s.curve).toEqual([{ x: -1000, y: 0.1 }, { x: -300, y: 0.9 }, { x: 1000, y: -0.2 }]);
    expect(s.peak).toEqual({ x: -296, y: 0.9 });
    expect(s.band).toMatchObject({ from: -150, to: 150 });
  });

  it('says what to do: the flag, keep 0 when in step, or why there is no evidence', () => {
    expect(lagVerdict(base)[0]).toBe('The labels are out of step: add -296 ms to the label times (--offset-ms -296).');
    expect(lagVerdict(base)[1]).toMatch(/^Confidence 0\.81 \(good\).*about 12 ms\.$/);
    expect(lagVerdict({ ...base, offsetMs: 80, inStep: true, suggestedOffsetMs: 0, suggestedFlag: '--offset-ms 0' })[0]).toMatch(/^In step: .*keep --offset-ms 0\.$/);
    expect(lagVerdict({ ...base, matchedBy: 'frame' })).toContain('These labels are matched by frame index, which an offset does not shift; match them by time to apply it.');
    const none = { ...base, offsetMs: null, inStep: null, evidence: 'none' as const, reason: 'the sideways motion does not follow the steering', suggestedOffsetMs: null, suggestedFlag: null };
    expect(lagVerdict(none)[0]).toBe('No evidence: the sideways motion does not follow the steering. Leave the offset as it is.');
    expect(lagSeries(none).peak).toBeNull();
  });
});

describe('the queue field', () => {
  it('passes a redis:// or rediss:// URL, nothing when empty, and refuses anything else', () => {
    expect(queueArg('')).toEqual({ args: {}, error: null });
    expect(queueArg('  redis://h:6379 ')).toEqual({ args: { queue: 'redis://h:6379' }, error: null });
    expect(queueArg('rediss://u:p@h:6380/0').args.queue).toBe('rediss://u:p@h:6380/0');
    expect(queueArg('http://h').error).toMatch(/redis:\/\/ or rediss:\/\//);
  });

  it('never shows the password', () => {
    expect(redactQueue('redis://h:6379')).toBe('redis://h:6379');
    expect(redactQueue('rediss://user:s3cret@h:6380/0')).toBe('rediss://***@h:6380/0');
    expect(queueToKeep('rediss://user:s3c@ret@h:6380/0')).toBe('rediss://h:6380/0');
    expect(queueToKeep('redis://h:6379')).toBe('redis://h:6379');
    expect(redactQueue('redis://:p@ss@h:6379')).toBe('redis://***@h:6379');
    expect(redactQueue('not a url s3cret')).toBe('***');
  });
});
