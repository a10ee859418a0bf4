import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { loadDataset } from '../../src/video/dataset.ts';
import { concatDatasets, datasetParts, loadDatasets, type MultiDataset } from '../../src/video/multi.ts';
import type { DatasetSpec } from '../../src/video/types.ts';
import { indexColour, meanRgb, tempDir, writeIndexVideo } from './fixtures.ts';

const dir = tempDir('steerlab-multi-');
const a = { video: join(dir, 'a.mp4'), labels: join(dir, 'a.csv') };
const b = { video: join(dir, 'b b.mp4'), labels: join(dir, 'b.csv') };
/** Angles that identify the video and the frame: a's frame i is 10*i - 300 deg, b's is -(5*i + 1) deg. */
const degA = (i: number) => 10 * i - 300;
const degB = (i: number) => -(5 * i + 1);

function labelCsv(n: number, deg: (i: number) => number, from = 0): string {
  // Matched by frame index, so the unlabelled frames are exactly the ones before `from`.
  const rows = ['frame_index,steering_deg'];
  for (let i = from; i < n; i++) rows.push(`${i},${deg(i)}`);
  return rows.join('\n') + '\n';
}

beforeAll(async () => {
  await writeIndexVideo(a.video, { frames: 60 });
  await writeIndexVideo(b.video, { frames: 40 });
  writeFileSync(a.labels, labelCsv(60, degA));
  // b's labels start at frame 10: its first 10 frames have no sample, so sample and frame indices differ.
  writeFileSync(b.labels, labelCsv(40, degB, 10));
});

const spec = (p: { video: string; labels: string }, size = { width: 32, height: 16 }): DatasetSpec => ({ source: p.video, labels: p.labels, input: size });

describe('loadDatasets / concatDatasets', () => {
  it('maps every sample to the right video, frame and angle, and reads frames through the composite store', async () => {
    const cacheDir = join(dir, 'cache');
    const ds = await loadDatasets([spec(a), spec(b)], { cacheDir });
    const pa = await loadDataset(spec(a), { cacheDir });
    const pb = await loadDataset(spec(b), { cacheDir });
    try {
      expect(ds.frames.count).toBe(100);
      expect(ds.anglesDeg.length).toBe(60 + 30);
      expect(ds.alignment.matched).toBe(90);
      // sample s of a is frame s; sample 60 + j is b's frame 10 + j, i.e. global frame 70 + j.
      for (const s of [0, 33, 59]) {
        expect(ds.sampleFrame[s]).toBe(s);
        expect(ds.anglesDeg[s]).toBeCloseTo(degA(s), 4);
      }
      for (const j of [0, 17, 29]) {
        expect(ds.sampleFrame[60 + j]).toBe(70 + j);
        expect(ds.anglesDeg[60 + j]).toBeCloseTo(degB(10 + j), 4);
      }
      // Pixels through the composite store are the part's own, byte for byte, and carry the part's frame colour.
      for (const f of [0, 59]) expect(ds.frames.read(f)).toEqual(pa.frames.read(f));
      for (const f of [0, 12, 39]) {
        const px = ds.frames.read(60 + f);
        expect(px).toEqual(pb.frames.read(f));
        expect(Math.abs(meanRgb(px, 32, 0, 12, 0, 16)[0] - indexColour(f)[0])).toBeLessThan(4);
      }
      // Times continue across the joint: b's first frame one frame interval (1/30 s) after a's last.
      const ts = ds.frames.timestampsS;
      expect(ts[60] - ts[59]).toBeCloseTo(1 / 30, 4);
      for (let i = 1; i < ts.length; i++) expect(ts[i]).toBeGreaterThan(ts[i - 1]);
      const parts = datasetParts(ds);
      expect(parts.map((p) => [p.firstFrame, p.frames, p.firstSample, p.samples])).toEqual([[0, 60, 0, 60], [60, 40, 60, 30]]);
      expect(parts[1].timeOffsetS).toBeCloseTo(2, 4);
      expect(ts[65]).toBeCloseTo(pb.frames.timestampsS[5] + parts[1].timeOffsetS, 9);
      // b's 10 unlabelled frames are reported under its own file name.
      expect(parts[1].alignment.unmatchedFrames).toBe(10);
      expect(ds.alignment.unmatchedFrames).toBe(10);
      expect(ds.warnings.some((w) => w.startsWith('b b.mp4: '))).toBe(true);
      expect(ds.video.frames).toBe(100);
      expect(() => ds.frames.read(100)).toThrow(RangeError);
    } finally {
      ds.frames.close();
      pa.frames.close();
      pb.frames.close();
    }
  });

  it('one spec gives the plain data set; datasetParts describes it as one part', async () => {
    const ds = await loadDatasets([spec(a)], { cacheDir: join(dir, 'cache') });
    try {
      expect((ds as Partial<MultiDataset>).parts).toBeUndefined();
      expect(datasetParts(ds)).toMatchObject([{ firstFrame: 0, frames: 60, firstSample: 0, samples: 60, timeOffsetS: 0 }]);
    } finally {
      ds.frames.close();
    }
  });

  it('videos decoded at different input sizes are a UserError naming both files', async () => {
    const cacheDir = join(dir, 'cache');
    const pa = await loadDataset(spec(a), { cacheDir });
    const pb = await loadDataset(spec(b, { width: 16, height: 16 }), { cacheDir });
    try {
      let err: unknown;
      try {
        concatDatasets([pa, pb]);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toContain(a.video);
      expect((err as Error).message).toContain(b.video);
      expect((err as Error).message).toMatch(/16x16 px.*16x32 px/);
    } finally {
      pa.frames.close();
      pb.frames.close();
    }
  });

  it('a missing second video fails the load (the first one is closed again)', async () => {
    await expect(loadDatasets([spec(a), spec({ video: join(dir, 'nope.mp4'), labels: b.labels })], { cacheDir: join(dir, 'cache') })).rejects.toThrow(/nope\.mp4/);
  });
});
