/**
 * The frame cache writer double-buffers its ~4 MiB writes (one write in
 * flight while the next buffer fills): frames must land in order, byte for
 * byte, across many buffer swaps, and abort must leave nothing behind.
 * (Whether a write overlaps the next fill depends on the disk, so a broken
 * in-flight wait shows here only sometimes: seen with 1,000 frames, not 250.)
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FrameCacheWriter } from '../../src/video/cache.ts';
import type { VideoInfo } from '../../src/video/types.ts';
import { tempDir } from './fixtures.ts';

const W = 256;
const H = 256;
/** Frame i: every byte a function of (i, offset), so a swapped or torn frame shows. */
function frame(i: number): Uint8Array {
  const f = new Uint8Array(W * H * 3);
  for (let k = 0; k < f.length; k++) f[k] = (i * 31 + k * 7) & 255;
  return f;
}
const video: VideoInfo = { path: 'x.mp4', frames: 1000, fps: 30, width: W, height: H, durationS: 1000 / 30, codec: 'h264', rotationDeg: 0, variableFrameRate: false };

describe('FrameCacheWriter', () => {
  it('250 frames of 192 KiB (about 12 buffer swaps of 4 MiB) read back in order, byte for byte, with their times', async () => {
    const dir = tempDir('steerlab-cachewriter-');
    const w = await FrameCacheWriter.create(join(dir, 'c.slfc'), W, H);
    const n = 250;
    for (let i = 0; i < n; i++) await w.append(frame(i), i / 30);
    const c = await w.commit({ key: 'k', decoderVersion: 1, ffmpegVersion: 'test', video });
    expect(c.count).toBe(n);
    for (let i = 0; i < n; i++) {
      expect(Buffer.from(c.read(i)).equals(Buffer.from(frame(i)))).toBe(true);
      expect(c.timestampsS[i]).toBe(i / 30);
    }
    c.close();
  });

  it('abort after several buffer swaps removes the temp file', async () => {
    const dir = tempDir('steerlab-cachewriter-');
    const w = await FrameCacheWriter.create(join(dir, 'c.slfc'), W, H);
    for (let i = 0; i < 100; i++) await w.append(frame(i), i / 30);
    expect(existsSync(w.tmpPath)).toBe(true);
    await w.abort();
    expect(readdirSync(dir)).toEqual([]);
  });
});
