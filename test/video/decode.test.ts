import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CancelledError } from '../../src/errors.ts';
import { decodeFrames, passthroughArgs, type DecodedFrame } from '../../src/video/decode.ts';
import { liveCount } from '../../src/video/ffmpeg.ts';
import { probeVideo, probeVideoDetailed } from '../../src/video/probe.ts';
import { VFR_TIMES_S, indexColour, meanRgb, tempDir, writeIndexVideo, writeRotated, writeVfrVideo, collectFrames as all } from './fixtures.ts';

const dir = tempDir();
const video = join(dir, 'index.mp4');


beforeAll(async () => {
  await writeIndexVideo(video);
});

describe('probe', () => {
  it('reads frames, rate, size, duration and codec of a 60-frame 64x32 30 fps H.264 file', async () => {
    const v = await probeVideo(video);
    expect(v).toMatchObject({ frames: 60, width: 64, height: 32, codec: 'h264', rotationDeg: 0, variableFrameRate: false });
    expect(v.fps).toBeCloseTo(30, 6);
    expect(v.durationS).toBeCloseTo(2, 1);
  });
});

describe('decodeFrames', () => {
  it('yields every frame at the asked size, with its index colour and time i/30 s', async () => {
    const frames = await all(decodeFrames(video, { width: 32, height: 16 }));
    expect(frames).toHaveLength(60);
    for (const i of [0, 17, 42, 59]) {
      const f = frames[i];
      expect(f.index).toBe(i);
      expect(f.rgb).toHaveLength(32 * 16 * 3);
      expect(f.ptsS).toBeCloseTo(i / 30, 5);
      // Left quarter is well inside the index-coloured half; right quarter is blue.
      const left = meanRgb(f.rgb, 32, 0, 12, 0, 16);
      const [r, g, b] = indexColour(i);
      expect(Math.abs(left[0] - r)).toBeLessThan(4);
      expect(Math.abs(left[1] - g)).toBeLessThan(4);
      expect(Math.abs(left[2] - b)).toBeLessThan(4);
      const right = meanRgb(f.rgb, 32, 20, 32, 0, 16);
      expect(right[2]).toBeGreaterThan(240);
      expect(right[0]).toBeLessThan(10);
    }
  });

  it('crops in source pixels before resizing: cropping the blue half leaves only the index colour', async () => {
    const frames = await all(decodeFrames(video, { width: 8, height: 8, crop: { top: 0, bottom: 0, left: 0, right: 32 } }));
    const whole = meanRgb(frames[10].rgb, 8, 0, 8, 0, 8);
    expect(Math.abs(whole[0] - 40)).toBeLessThan(4);
    expect(Math.abs(whole[2] - 128)).toBeLessThan(4);
  });

  it('gives exact times for a variable-frame-rate file (30 fps, then 10 fps)', async () => {
    const vfr = join(dir, 'vfr.mkv');
    await writeVfrVideo(vfr);
    const p = await probeVideoDetailed(vfr);
    expect(p.info.variableFrameRate).toBe(true);
    expect(p.info.frames).toBe(60);
    const frames = await all(decodeFrames(vfr, { width: 16, height: 8 }));
    expect(frames).toHaveLength(60);
    // Matroska stores milliseconds.
    frames.forEach((f, i) => expect(Math.abs(f.ptsS - VFR_TIMES_S[i])).toBeLessThan(0.0011));
    p.frameTimesS.forEach((t, i) => expect(Math.abs(t - VFR_TIMES_S[i])).toBeLessThan(0.0011));
    // A constant-rate reading would have put frame 59 at 59/30 = 1.97 s instead of 3.9 s.
    expect(frames[59].ptsS).toBeCloseTo(3.9, 2);
  });

  it('honours the rotation flag: a 64x32 file flagged 90 deg decodes upright as 32x64 with the halves now top/bottom', async () => {
    const rot = join(dir, 'rot.mp4');
    await writeRotated(video, rot);
    const v = await probeVideo(rot);
    expect(v.rotationDeg === 90 || v.rotationDeg === 270).toBe(true);
    expect([v.width, v.height]).toEqual([32, 64]);
    const [f] = await all(decodeFrames(rot, { width: 32, height: 64 }));
    const top = meanRgb(f.rgb, 32, 0, 32, 0, 24);
    const bottom = meanRgb(f.rgb, 32, 0, 32, 40, 64);
    // One half is the index colour of frame 0 (255 green), the other blue; which depends on the turn's direction.
    const greens = [top[1], bottom[1]].sort((a, b) => a - b);
    expect(greens[0]).toBeLessThan(10);
    expect(greens[1]).toBeGreaterThan(245);
  });

  it('decodes an image folder in natural order (2.png before 10.png)', async () => {
    const imgDir = join(dir, 'images');
    mkdirSync(imgDir);
    for (const i of [1, 2, 10]) {
      const png = new PNG({ width: 16, height: 8 });
      const [r, g, b] = indexColour(i);
      for (let p = 0; p < 16 * 8; p++) png.data.set([r, g, b, 255], p * 4);
      writeFileSync(join(imgDir, `${i}.png`), PNG.sync.write(png));
    }
    const frames = await all(decodeFrames(imgDir, { width: 8, height: 4 }));
    expect(frames.map((f) => Math.round(f.rgb[0] / 4))).toEqual([1, 2, 10]);
  });

  it('stops ffmpeg and throws CancelledError when aborted mid-stream', async () => {
    const ac = new AbortController();
    let seen = 0;
    const run = async () => {
      for await (const f of decodeFrames(video, { width: 32, height: 16 }, { signal: ac.signal })) {
        seen = f.index + 1;
        if (seen === 5) ac.abort();
      }
    };
    await expect(run()).rejects.toBeInstanceOf(CancelledError);
    expect(seen).toBeLessThan(60);
    expect(liveCount()).toBe(0);
  });

  it('stops ffmpeg when the consumer breaks out early (no orphan)', async () => {
    let n = 0;
    for await (const _ of decodeFrames(video, { width: 32, height: 16 })) if (++n === 3) break;
    expect(n).toBe(3);
    expect(liveCount()).toBe(0);
  });
});

describe('passthroughArgs', () => {
  it('uses -fps_mode from ffmpeg 5.1 on and -vsync before (and for nightly builds)', () => {
    expect(passthroughArgs('5.1.9-0+deb12u1')).toEqual(['-fps_mode', 'passthrough']);
    expect(passthroughArgs('7.0.2')).toEqual(['-fps_mode', 'passthrough']);
    expect(passthroughArgs('n6.1')).toEqual(['-fps_mode', 'passthrough']);
    expect(passthroughArgs('5.0.1')).toEqual(['-vsync', 'passthrough']);
    expect(passthroughArgs('4.4.2')).toEqual(['-vsync', 'passthrough']);
    expect(passthroughArgs('N-47683-g0e8eb07980-static')).toEqual(['-vsync', 'passthrough']);
  });

  it('the Debian ffmpeg 5.1 (STEERLAB_FFMPEG) decodes the VFR file with the same times', async () => {
    const prev = process.env.STEERLAB_FFMPEG;
    process.env.STEERLAB_FFMPEG = '/usr/bin/ffmpeg';
    try {
      const vfr = join(dir, 'vfr.mkv');
      const frames = await all(decodeFrames(vfr, { width: 16, height: 8 }));
      expect(frames).toHaveLength(60);
      frames.forEach((f, i) => expect(Math.abs(f.ptsS - VFR_TIMES_S[i])).toBeLessThan(0.0011));
    } finally {
      if (prev === undefined) delete process.env.STEERLAB_FFMPEG;
      else process.env.STEERLAB_FFMPEG = prev;
    }
  });
});
