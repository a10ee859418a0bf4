import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { loadDataset } from '../../src/video/dataset.ts';
import { liveCount } from '../../src/video/ffmpeg.ts';
import { probeVideo } from '../../src/video/probe.ts';
import { LOSSLESS, indexFrame, tempDir, writeIndexVideo } from './fixtures.ts';
import { encodeRawVideo } from '../../src/video/encode.ts';

const dir = tempDir();
const labels = join(dir, 'labels.csv');
const good = join(dir, 'good.mp4');
const saved = { ...process.env };

beforeAll(async () => {
  writeFileSync(labels, 'frame_index,timestamp_s,steering_deg\n' + Array.from({ length: 60 }, (_, i) => `${i},${(i / 30).toFixed(6)},${i}`).join('\n') + '\n');
  await writeIndexVideo(good);
});
function* frames() {
  for (let i = 0; i < 60; i++) yield indexFrame(i, 64, 32);
}
afterEach(() => {
  process.env = { ...saved };
});

/** Loads and returns the error, checking the shape every bad input must have. */
async function failure(source: string, cacheDir: string): Promise<UserError> {
  const e = await loadDataset({ source, labels, input: { width: 16, height: 8 } }, { cacheDir }).then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(UserError);
  const err = e as UserError;
  expect(err.message).not.toContain('\n');
  expect(liveCount()).toBe(0);
  if (existsSync(cacheDir)) expect(readdirSync(cacheDir)).toEqual([]);
  return err;
}

describe('bad input: one line naming the file and the fix, no half-written cache, no ffmpeg left running', () => {
  it('an empty file', async () => {
    const p = join(dir, 'empty.mp4');
    writeFileSync(p, '');
    expect((await failure(p, join(dir, 'cache-empty'))).message).toMatch(/empty\.mp4.*empty \(0 bytes\)/);
  });

  it('a file that is not a video', async () => {
    const p = join(dir, 'notes.mp4');
    writeFileSync(p, 'these are my notes, not a video\n'.repeat(50));
    expect((await failure(p, join(dir, 'cache-notes'))).message).toMatch(/notes\.mp4.*not a readable video/);
  });

  it('a truncated recording whose index was never written (mp4 as a dashcam writes it, index last)', async () => {
    const src = join(dir, 'index-last.mp4');
    await encodeRawVideo(src, frames(), { width: 64, height: 32, fps: 30, codecArgs: LOSSLESS, faststart: false });
    const p = join(dir, 'cut.mp4');
    const bytes = readFileSync(src);
    writeFileSync(p, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const msg = (await failure(p, join(dir, 'cache-cut'))).message;
    expect(msg).toMatch(/cut\.mp4.*not a readable video.*truncated/);
  });

  it('a truncated recording whose index survived: the frames that are there load, with a warning naming the file', async () => {
    const src = join(dir, 'index-first.mp4');
    await encodeRawVideo(src, frames(), { width: 64, height: 32, fps: 30, codecArgs: LOSSLESS, faststart: true });
    const p = join(dir, 'cut-front.mp4');
    const bytes = readFileSync(src);
    writeFileSync(p, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const d = await loadDataset({ source: p, labels, input: { width: 16, height: 8 } }, { cacheDir: join(dir, 'cache-front') });
    expect(d.frames.count).toBeGreaterThan(5);
    expect(d.frames.count).toBeLessThan(60);
    expect(d.warnings.some((w) => w.includes('cut-front.mp4') && w.includes('truncated'))).toBe(true);
    d.frames.close();
  });

  it('a missing video', async () => {
    expect((await failure(join(dir, 'nope.mp4'), join(dir, 'cache-nope'))).message).toMatch(/nope\.mp4.*no such/);
  });

  it('a missing ffmpeg (STEERLAB_FFMPEG points to a file that does not exist)', async () => {
    process.env.STEERLAB_FFMPEG = join(dir, 'no-ffmpeg-here');
    const msg = (await failure(good, join(dir, 'cache-noff'))).message;
    expect(msg).toMatch(/STEERLAB_FFMPEG.*no-ffmpeg-here.*fix the path/);
  });

  it('probe of an audio-only file says there is no video stream', async () => {
    const p = join(dir, 'audio.wav');
    const hdr = Buffer.alloc(44);
    hdr.write('RIFF', 0);
    hdr.writeUInt32LE(36 + 8000, 4);
    hdr.write('WAVEfmt ', 8);
    hdr.writeUInt32LE(16, 16);
    hdr.writeUInt16LE(1, 20);
    hdr.writeUInt16LE(1, 22);
    hdr.writeUInt32LE(8000, 24);
    hdr.writeUInt32LE(8000, 28);
    hdr.writeUInt16LE(1, 32);
    hdr.writeUInt16LE(8, 34);
    hdr.write('data', 36);
    hdr.writeUInt32LE(8000, 40);
    writeFileSync(p, Buffer.concat([hdr, Buffer.alloc(8000, 128)]));
    await expect(probeVideo(p)).rejects.toThrow(/audio\.wav.*no video stream/);
  });
});
