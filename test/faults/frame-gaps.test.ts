/**
 * Frames lost mid-source must not shift labels: a video with bytes
 * overwritten a third of the way in, and an image folder with one
 * unreadable image. Every kept sample must carry its own frame's label, and
 * the loss is reported (how many, where) as a data warning.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LabelSet } from '../../src/data/types.ts';
import { UserError } from '../../src/errors.ts';
import type { CachedFrames, CacheMeta } from '../../src/video/cache.ts';
import { loadDataset } from '../../src/video/dataset.ts';
import { runTool } from '../../src/video/ffmpeg.ts';
import { findFrameGap } from '../../src/video/frame-gaps.ts';
import { matchLabels } from '../../src/video/label-match.ts';
import { tempDir, writeIndexVideo } from '../video/fixtures.ts';

const dir = tempDir('steerlab-gaps-');
const FRAMES = 400;
const video = join(dir, 'damaged.mp4');
const images = join(dir, 'imgs');
/** Steering of source frame i (degrees): a label that identifies its frame. */
const deg = (i: number) => (i % 100) - 50;

function csv(header: string, keys: (string | number)[]): string {
  return [header, ...keys.map((k, i) => `${k},${deg(i)}`)].join('\n') + '\n';
}

beforeAll(async () => {
  const clean = join(dir, 'clean.mp4');
  await writeIndexVideo(clean, { frames: FRAMES, width: 64, height: 32 });
  // Overwrite 10% of the bytes one third of the way in: ffmpeg drops the frames it cannot decode and goes on.
  const b = readFileSync(clean);
  const at = Math.floor(b.length / 3);
  for (let i = at; i < at + Math.floor(b.length / 10); i++) b[i] = (i * 7919) & 255;
  writeFileSync(video, b);
  writeFileSync(join(dir, 'frames.csv'), csv('frame_index,steering_deg', Array.from({ length: FRAMES }, (_, i) => i)));
  // Twelve PNGs, the fifth replaced by bytes no decoder reads.
  await import('node:fs').then((fs) => fs.mkdirSync(images));
  const { result } = await runTool('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', `file:${clean}`, '-frames:v', '12', `file:${join(images, 'img_%03d.png')}`]);
  if (result.status !== 'ok') throw new Error(result.stderrTail);
  writeFileSync(join(images, 'img_005.png'), Buffer.alloc(300, 7));
  const names = Array.from({ length: 12 }, (_, i) => `img_${String(i + 1).padStart(3, '0')}.png`);
  writeFileSync(join(dir, 'by-image.csv'), csv('image,steering_deg', names));
  writeFileSync(join(dir, 'by-index.csv'), csv('frame_index,steering_deg', names.map((_, i) => i)));
}, 60_000);

describe('frames lost mid-source', () => {
  it('a damaged video: frame-index labels follow each frame\'s own time, and the loss is one warning', async () => {
    const ds = await loadDataset({ source: video, labels: join(dir, 'frames.csv'), input: { width: 32, height: 16 } }, { cacheDir: join(dir, 'cache') });
    try {
      const lost = FRAMES - ds.frames.count;
      expect(lost).toBeGreaterThan(10);
      const source = ds.frames.timestampsS.map((t) => Math.round(t * 30));
      for (let k = 0; k < ds.sampleFrame.length; k++) expect(ds.anglesDeg[k]).toBe(deg(source[ds.sampleFrame[k]]));
      const gapLines = ds.warnings.filter((w) => w.includes('could not be decoded'));
      expect(gapLines).toHaveLength(1);
      expect(gapLines[0]).toMatch(
        new RegExp(`^"${video.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}": ${lost} of ${FRAMES} frames could not be decoded \\(damaged data\\): frames \\d+-\\d+ \\([\\d.]+-[\\d.]+ s\\).*; they are left out and every other frame keeps its own label$`),
      );
    } finally {
      ds.frames.close();
    }
  }, 60_000);

  it('an image folder with one unreadable image: name and index labels stay on their images, and the file is named', async () => {
    for (const labels of ['by-image.csv', 'by-index.csv']) {
      const ds = await loadDataset({ source: images, labels: join(dir, labels), input: { width: 32, height: 16 } }, { cacheDir: join(dir, 'cache') });
      try {
        expect(ds.frames.count).toBe(11);
        const expected = [0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11].map(deg);
        expect(Array.from(ds.anglesDeg)).toEqual(expected);
        expect(ds.warnings).toContain(
          `"${images}": 1 of 12 images could not be decoded (damaged data): img_005.png; they are left out and every other image keeps its own label`,
        );
      } finally {
        ds.frames.close();
      }
    }
  }, 60_000);

  it('refuses frame-index matching across a gap whose frames are unknown, with one line naming the files and the flag', () => {
    const meta = {
      video: { fps: 30 },
      frameGap: { expected: 10, decoded: 8, numbers: null, runs: [] },
    } as unknown as CacheMeta;
    const store = { meta, count: 8, timestampsS: new Float64Array(8) } as unknown as CachedFrames;
    const labels = {
      path: 'labels.csv',
      key: 'frame',
      rows: Array.from({ length: 10 }, (_, i) => ({ line: i + 2, frameIndex: i, steeringDeg: deg(i), extras: {} })),
    } as unknown as LabelSet;
    const o = { source: 'drive.mp4', offsetMs: 0, maxGapMs: 200 };
    expect(() => matchLabels(store, labels, o)).toThrow(UserError);
    expect(() => matchLabels(store, labels, o)).toThrow(
      '"drive.mp4" lost 2 of 10 frames while decoding and their times do not say which, so labels.csv\'s frame-index labels would land on the wrong frames after the gap; use labels with a time column, repair the source, or pass --allow-frame-gaps to match by decode order anyway',
    );
    // Asked for: decode order, as before.
    expect(Array.from(matchLabels(store, labels, { ...o, allowFrameGaps: true }).anglesDeg)).toEqual(Array.from({ length: 8 }, (_, i) => deg(i)));
  });

  it('finds no gap in a complete decode or one missing only its last frame, and numbers frames by time otherwise', () => {
    const t = Array.from({ length: 10 }, (_, i) => i / 30);
    expect(findFrameGap(t, t)).toBeNull();
    expect(findFrameGap(t.slice(0, 9), t)).toBeNull();
    const g = findFrameGap([...t.slice(0, 3), ...t.slice(6)], t);
    expect(g).toEqual({ expected: 10, decoded: 7, numbers: [0, 1, 2, 6, 7, 8, 9], runs: [{ first: 3, last: 5 }] });
    // A capped decode (maxFrames 5) that lost frame 2 ran on to source frame 5.
    expect(findFrameGap([t[0], t[1], t[3], t[4], t[5]], t, 5)?.runs).toEqual([{ first: 2, last: 2 }]);
  });
});
