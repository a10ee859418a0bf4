/**
 * The packet-time probe runs beside the decode (frame times as a promise):
 * frames must wait for the times without being dropped or reordered, even
 * when ffmpeg finishes first; unusable or failed probes must stop ffmpeg and
 * say so; loadDataset's fallbacks (showinfo re-decode, crop errors) must
 * still work when the probe no longer runs first.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildFrameCache } from '../../src/video/dataset.ts';
import { FrameTimesUnavailableError, decodeFrames, type DecodedFrame } from '../../src/video/decode.ts';
import { liveCount, runTool, spawnCount } from '../../src/video/ffmpeg.ts';
import { probeVideoDetailed } from '../../src/video/probe.ts';
import { VFR_TIMES_S, tempDir, writeIndexVideo, writeVfrVideo, collectFrames as all } from './fixtures.ts';

const dir = tempDir();
const vfr = join(dir, 'vfr.mkv');
const cfr = join(dir, 'cfr.mp4');


/** Resolves with `value` once no ffmpeg child is alive (or after 10 s), and says which. */
function afterFfmpegExits<T>(value: T): { promise: Promise<T>; exitedFirst: () => boolean } {
  let exited = false;
  const promise = new Promise<T>((resolve) => {
    const t0 = performance.now();
    const poll = setInterval(() => {
      if (liveCount() === 0 || performance.now() - t0 > 10_000) {
        exited = liveCount() === 0;
        clearInterval(poll);
        resolve(value);
      }
    }, 10);
  });
  return { promise, exitedFirst: () => exited };
}

beforeAll(async () => {
  await writeVfrVideo(vfr);
  await writeIndexVideo(cfr);
});

describe('frame times promised by a probe running beside the decode', () => {
  it('times that arrive after ffmpeg has exited: every frame, in order, same bytes and exact VFR times', async () => {
    const p = await probeVideoDetailed(vfr);
    const direct = await all(decodeFrames(vfr, { width: 64, height: 32 }, { frameTimesS: p.frameTimesS }));
    // 60 frames of 64x32 rgb24 are 360 KiB: more than the 64 KiB pipe plus the
    // 8-frame queue, so ffmpeg can only finish first if the pending queue holds them.
    const late = afterFfmpegExits<Float64Array | null>(p.frameTimesS);
    const frames = await all(decodeFrames(vfr, { width: 64, height: 32 }, { frameTimesS: late.promise }));
    expect(late.exitedFirst()).toBe(true);
    expect(frames).toHaveLength(60);
    frames.forEach((f, i) => {
      expect(f.index).toBe(i);
      expect(f.ptsS).toBe(direct[i].ptsS);
      expect(Math.abs(f.ptsS - VFR_TIMES_S[i])).toBeLessThan(0.0011);
      expect(Buffer.from(f.rgb).equals(Buffer.from(direct[i].rgb))).toBe(true);
    });
  });

  it('times resolved to null (unusable packet times): FrameTimesUnavailableError, ffmpeg stopped', async () => {
    const run = all(decodeFrames(cfr, { width: 64, height: 32 }, { frameTimesS: new Promise((r) => setTimeout(() => r(null), 50)) }));
    await expect(run).rejects.toBeInstanceOf(FrameTimesUnavailableError);
    expect(liveCount()).toBe(0);
  });

  it('times resolved to null while ffmpeg waits on a full queue (stdout paused): rejects, no hang, ffmpeg stopped', { timeout: 20_000 }, async () => {
    // 1024x512 rgb24 is 1.5 MiB a frame: the 16 MiB pending queue fills after ~10 of the 60.
    const gen = decodeFrames(cfr, { width: 1024, height: 512 }, { frameTimesS: new Promise((r) => setTimeout(() => r(null), 500)) });
    await expect(all(gen)).rejects.toBeInstanceOf(FrameTimesUnavailableError);
    expect(liveCount()).toBe(0);
  });

  it('a failed probe: its error, ffmpeg stopped', async () => {
    const boom = new Error('probe failed');
    const run = all(decodeFrames(cfr, { width: 64, height: 32 }, { frameTimesS: new Promise((_, j) => setTimeout(() => j(boom), 50)) }));
    await expect(run).rejects.toBe(boom);
    expect(liveCount()).toBe(0);
  });

  it('promised times fewer than the frames: FrameCountMismatch, so buildFrameCache falls back (checked below via a raw stream)', async () => {
    const run = all(decodeFrames(cfr, { width: 16, height: 8 }, { frameTimesS: Promise.resolve([0, 0.1]) }));
    await expect(run).rejects.toThrow(/more frames than the 2 frame times/);
    expect(liveCount()).toBe(0);
  });

  it('a raw H.264 stream (no packet times): buildFrameCache decodes again with showinfo and gets its times', async () => {
    const raw = join(dir, 'raw.h264');
    const { result } = await runTool('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', `file:${cfr}`, '-c', 'copy', '-f', 'h264', `file:${raw}`]);
    expect(result.status).toBe('ok');
    const p = await probeVideoDetailed(raw);
    expect(p.packetTimes).toBe(false);
    const showinfo = await all(decodeFrames(raw, { width: 16, height: 8 }));
    const before = spawnCount();
    const c = await buildFrameCache({ source: raw, input: { width: 16, height: 8 } }, { cacheDir: join(dir, 'cache-raw') });
    // ffprobe and the packet-time decode (started together), then the showinfo decode.
    expect(spawnCount() - before).toBe(3);
    expect(c.count).toBe(60);
    c.timestampsS.forEach((t, i) => expect(t).toBeCloseTo(showinfo[i].ptsS, 6));
    c.close();
    expect(liveCount()).toBe(0);
  });

  it('a crop larger than the picture: the crop message (from the probe), not ffmpeg\'s filter error', async () => {
    const run = buildFrameCache({ source: cfr, input: { width: 16, height: 8 }, crop: { top: 20, bottom: 20, left: 0, right: 0 } }, { cacheDir: join(dir, 'cache-crop') });
    await expect(run).rejects.toThrow(/crop \(top 20, bottom 20, left 0, right 0 px\) leaves nothing of the 32x64 px picture/);
    expect(liveCount()).toBe(0);
  });

  it('not a video: the probe\'s message, ffmpeg stopped', async () => {
    const notVideo = join(dir, 'labels.mp4');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(notVideo, 'time,steering\n0,1\n');
    await expect(buildFrameCache({ source: notVideo, input: { width: 16, height: 8 } }, { cacheDir: join(dir, 'cache-bad') })).rejects.toThrow(/is not a readable video/);
    expect(liveCount()).toBe(0);
  });
});
