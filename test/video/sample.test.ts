/**
 * Frame sampling for the crop suggestion, through the real ffmpeg on tiny
 * index-coloured videos and an image folder: the chosen frames come back,
 * in order, at the asked size, with the crop applied, and nothing is left
 * running.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodePng } from '../../src/video/png.ts';
import { liveCount } from '../../src/video/ffmpeg.ts';
import { sampleFrames, sampleKeyframes } from '../../src/video/sample.ts';
import { indexColour, indexFrame, meanRgb, tempDir, writeIndexVideo } from './fixtures.ts';

const dir = tempDir('steerlab-sample-');
const video = join(dir, 'index.mp4');
const gop = join(dir, 'gop20.mp4');

/** Which frame index a decoded frame shows: the index whose colour is nearest its left half. */
function whichFrame(rgb: Uint8Array, w: number, h: number): number {
  const [r, g] = meanRgb(rgb, w, 0, Math.floor(w / 2) - 1, 0, h);
  let best = 0;
  for (let i = 1; i < 64; i++) {
    const [ri, gi] = indexColour(i);
    const [rb, gb] = indexColour(best);
    if (Math.abs(ri - r) + Math.abs(gi - g) < Math.abs(rb - r) + Math.abs(gb - g)) best = i;
  }
  return best;
}

beforeAll(async () => {
  await writeIndexVideo(video);
  // A keyframe every 20 frames (0, 20, 40) for the keyframe sampler.
  await writeIndexVideo(gop, { extraArgs: ['-g', '20', '-keyint_min', '20', '-sc_threshold', '0'] });
});

describe('sampleFrames', () => {
  it('returns the chosen frames of a video in index order; picks past the end are left out', async () => {
    const frames = await sampleFrames(video, [59, 3, 10, 3, 500], { width: 64, height: 32 });
    expect(frames.map((f) => whichFrame(f, 64, 32))).toEqual([3, 10, 59]);
    expect(frames[0].length).toBe(64 * 32 * 3);
    expect(liveCount()).toBe(0);
  });

  it('crops in source pixels before resizing', async () => {
    // Left half is the index colour, right half blue: cropping the right 32 px leaves only the index colour.
    const [f] = await sampleFrames(video, [7], { width: 16, height: 8, crop: { top: 0, bottom: 0, left: 0, right: 32 } });
    const [r, g, b] = meanRgb(f, 16, 0, 16, 0, 8);
    const [er, eg, eb] = indexColour(7);
    for (const [got, want] of [[r, er], [g, eg], [b, eb]]) expect(Math.abs(got - want)).toBeLessThan(6);
  });

  it('samples an image folder from just the chosen images', async () => {
    const folder = join(dir, 'images');
    mkdirSync(folder);
    for (let i = 0; i < 12; i++) writeFileSync(join(folder, `${i}.png`), encodePng(indexFrame(i, 32, 16), 32, 16));
    const frames = await sampleFrames(folder, [2, 11], { width: 32, height: 16 });
    expect(frames.map((f) => whichFrame(f, 32, 16))).toEqual([2, 11]);
  });
});

describe('sampleKeyframes', () => {
  it('decodes keyframes only, spread over the duration', async () => {
    const frames = await sampleKeyframes(gop, 3, 2, { width: 64, height: 32 });
    expect(frames).toHaveLength(3);
    const shown = frames.map((f) => whichFrame(f, 64, 32));
    for (const i of shown) expect([0, 20, 40]).toContain(i);
    expect(new Set(shown).size).toBeGreaterThan(1);
  });
});
