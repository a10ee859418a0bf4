/**
 * The fast decode path: frame times from ffprobe's packets instead of
 * ffmpeg's per-frame showinfo report. It must give the same pixels and the
 * same times as the showinfo path (variable frame rate included), refuse
 * times that do not fit the decode, and loadDataset must fall back to
 * showinfo when the decoded count differs from the packet count.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildFrameCache, loadDataset } from '../../src/video/dataset.ts';
import { FrameCountMismatchError, decodeFrames, filterChain, type DecodedFrame } from '../../src/video/decode.ts';
import { encodeRawVideo } from '../../src/video/encode.ts';
import { UserError } from '../../src/errors.ts';
import { liveCount, locateTool, runTool, spawnCount } from '../../src/video/ffmpeg.ts';
import { probeVideoDetailed } from '../../src/video/probe.ts';
import { LOSSLESS, VFR_TIMES_S, indexColour, indexFrame, meanRgb, tempDir, writeIndexVideo, writeVfrVideo, collectFrames as all } from './fixtures.ts';

const dir = tempDir();
const vfr = join(dir, 'vfr.mkv');
const cfr = join(dir, 'cfr.mp4');


beforeAll(async () => {
  await writeVfrVideo(vfr);
  await writeIndexVideo(cfr);
});

describe('frame times from packets', () => {
  it('filterChain drops showinfo (and its time base change) only when asked', () => {
    expect(filterChain({ width: 8, height: 4 })).toBe('scale=8:4:flags=area,format=rgb24,settb=AVTB,showinfo');
    expect(filterChain({ width: 8, height: 4 }, false)).toBe('scale=8:4:flags=area,format=rgb24');
  });

  it('the VFR file (30 fps, then 10 fps): same bytes and the exact times as the showinfo path', async () => {
    const p = await probeVideoDetailed(vfr);
    expect(p.packetTimes).toBe(true);
    const fast = await all(decodeFrames(vfr, { width: 16, height: 8 }, { frameTimesS: p.frameTimesS }));
    const slow = await all(decodeFrames(vfr, { width: 16, height: 8 }));
    expect(fast).toHaveLength(60);
    expect(slow).toHaveLength(60);
    fast.forEach((f, i) => {
      expect(f.index).toBe(i);
      // Matroska stores whole milliseconds.
      expect(Math.abs(f.ptsS - VFR_TIMES_S[i])).toBeLessThan(0.0011);
      // Both are microseconds: ffprobe prints 6 decimals, showinfo integer us after settb=AVTB.
      expect(Math.abs(f.ptsS - slow[i].ptsS)).toBeLessThanOrEqual(1e-6);
      expect(Buffer.from(f.rgb).equals(Buffer.from(slow[i].rgb))).toBe(true);
    });
    expect(fast[59].ptsS).toBeCloseTo(3.9, 3);
  });

  it('frames handed out as views of one pipe chunk are independent: overwriting one leaves the next intact', async () => {
    // 8x4 rgb24 = 96 bytes, so hundreds of frames share each pipe read.
    const p = await probeVideoDetailed(cfr);
    const frames = await all(decodeFrames(cfr, { width: 8, height: 4 }, { frameTimesS: p.frameTimesS }));
    expect(frames).toHaveLength(60);
    for (const f of frames) expect(f.rgb.length).toBe(96);
    frames[10].rgb.fill(0);
    const next = meanRgb(frames[11].rgb, 8, 0, 3, 0, 4);
    expect(Math.abs(next[0] - indexColour(11)[0])).toBeLessThan(4);
    expect(Math.abs(next[1] - indexColour(11)[1])).toBeLessThan(4);
    frames.forEach((f, i) => expect(f.ptsS).toBeCloseTo(i / 30, 5));
  });

  it('more frames than given times throws FrameCountMismatchError and stops ffmpeg', async () => {
    const run = all(decodeFrames(cfr, { width: 16, height: 8 }, { frameTimesS: [0, 0.1, 0.2] }));
    await expect(run).rejects.toBeInstanceOf(FrameCountMismatchError);
    expect(liveCount()).toBe(0);
  });

  it('loadDataset on the VFR file takes the packet path (probe + one ffmpeg) and caches the exact times', async () => {
    const labels = join(dir, 'vfr-labels.csv');
    writeFileSync(labels, 'timestamp_s,steering_deg\n' + VFR_TIMES_S.map((t, i) => `${t.toFixed(6)},${i}`).join('\n') + '\n');
    const before = spawnCount();
    const d = await loadDataset({ source: vfr, labels, input: { width: 16, height: 8 } }, { cacheDir: join(dir, 'cache-vfr') });
    expect(spawnCount() - before).toBe(2);
    expect(d.frames.count).toBe(60);
    d.frames.timestampsS.forEach((t, i) => expect(Math.abs(t - VFR_TIMES_S[i])).toBeLessThan(0.0011));
    // Each frame got its own label (angle = index, give or take the interpolation over mkv's
    // whole-millisecond times: 0.033 s is 0.99 of the way from label 0 to label 1), which a
    // constant-rate time would not give past frame 30 (frame 59 would land at 1.97 s, label 39.7).
    expect(d.anglesDeg).toHaveLength(60);
    d.anglesDeg.forEach((a, i) => expect(Math.abs(a - i)).toBeLessThan(0.05));
    d.frames.close();
  });

  it('a cut-off file whose last packet does not decode: the count differs, so the cache is rebuilt with showinfo times', async () => {
    const src = join(dir, 'faststart.mp4');
    function* frames() {
      for (let i = 0; i < 60; i++) yield indexFrame(i, 64, 32);
    }
    await encodeRawVideo(src, frames(), { width: 64, height: 32, fps: 30, codecArgs: LOSSLESS, faststart: true });
    const cut = join(dir, 'cut.mp4');
    const bytes = readFileSync(src);
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const p = await probeVideoDetailed(cut);
    const decoded = (await all(decodeFrames(cut, { width: 16, height: 8 }))).length;
    // The premise: ffprobe lists a packet the decoder cannot turn into a frame.
    expect(p.frameTimesS.length).not.toBe(decoded);
    const before = spawnCount();
    const c = await buildFrameCache({ source: cut, input: { width: 16, height: 8 } }, { cacheDir: join(dir, 'cache-cut') });
    // ffprobe, the packet-time decode, then the showinfo decode.
    expect(spawnCount() - before).toBe(3);
    expect(c.count).toBe(decoded);
    c.timestampsS.forEach((t, i) => expect(t).toBeCloseTo(i / 30, 5));
    c.close();
  });

  it('an ffmpeg that prints no showinfo lines: frames still come (nominal-rate times after the stall timeout), no hang', async () => {
    // A wrapper that swallows ffmpeg's stderr, as a build without showinfo output would.
    const wrapper = join(dir, 'quiet-ffmpeg.sh');
    writeFileSync(wrapper, `#!/bin/sh\nexec '${locateTool('ffmpeg').path}' "$@" 2>/dev/null\n`);
    chmodSync(wrapper, 0o755);
    const prev = process.env.STEERLAB_FFMPEG;
    process.env.STEERLAB_FFMPEG = wrapper;
    try {
      // A 200 ms stall timeout instead of the 5 s default: the test's own timeout catches a hang.
      const frames = await all(decodeFrames(cfr, { width: 8, height: 4 }, { fps: 30, stallMs: 200 }));
      expect(frames).toHaveLength(60);
      frames.forEach((f, i) => expect(f.ptsS).toBeCloseTo(i / 30, 9));
    } finally {
      if (prev === undefined) delete process.env.STEERLAB_FFMPEG;
      else process.env.STEERLAB_FFMPEG = prev;
    }
  });
});

describe('MPEG-TS (.ts, as many dashcams record) with the bundled ffmpeg and ffprobe', () => {
  const ts = join(dir, 'cfr.ts');
  const saved = { ffmpeg: process.env.STEERLAB_FFMPEG, ffprobe: process.env.STEERLAB_FFPROBE };
  const restore = (): void => {
    for (const [k, v] of [['STEERLAB_FFMPEG', saved.ffmpeg], ['STEERLAB_FFPROBE', saved.ffprobe]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  beforeAll(async () => {
    delete process.env.STEERLAB_FFMPEG;
    delete process.env.STEERLAB_FFPROBE;
    // Written by the bundled ffmpeg: its mpegts muxer adds an SDT (service "Service01"), whose names made
    // the bundled static ffprobe (N-66595) die from SIGSEGV in iconv on glibc >= 2.34 hosts.
    await writeIndexVideo(ts);
  });

  it('probes, decodes (packet times = showinfo times, same bytes) and matches labels by time', async () => {
    delete process.env.STEERLAB_FFMPEG;
    delete process.env.STEERLAB_FFPROBE;
    try {
      expect(locateTool('ffprobe').source).toBe('@ffprobe-installer/ffprobe');
      expect(locateTool('ffmpeg').source).toBe('@ffmpeg-installer/ffmpeg');
      const p = await probeVideoDetailed(ts);
      expect(p.info).toMatchObject({ frames: 60, width: 64, height: 32, codec: 'h264' });
      expect(p.info.fps).toBeCloseTo(30, 6);
      expect(p.packetTimes).toBe(true);
      // 90 kHz ticks: 1/30 s is exactly 3000, and times count from the container's start_time.
      p.frameTimesS.forEach((t, i) => expect(Math.abs(t - i / 30)).toBeLessThanOrEqual(1e-6));
      const fast = await all(decodeFrames(ts, { width: 16, height: 8 }, { frameTimesS: p.frameTimesS }));
      const slow = await all(decodeFrames(ts, { width: 16, height: 8 }));
      expect(fast).toHaveLength(60);
      expect(slow).toHaveLength(60);
      fast.forEach((f, i) => {
        expect(Math.abs(f.ptsS - slow[i].ptsS)).toBeLessThanOrEqual(1e-6);
        expect(Buffer.from(f.rgb).equals(Buffer.from(slow[i].rgb))).toBe(true);
        const c = meanRgb(f.rgb, 16, 0, 7, 0, 8);
        expect(Math.abs(c[0] - indexColour(i)[0])).toBeLessThan(4);
        expect(Math.abs(c[1] - indexColour(i)[1])).toBeLessThan(4);
      });
      const labels = join(dir, 'ts-labels.csv');
      writeFileSync(labels, 'timestamp_s,steering_deg\n' + Array.from({ length: 60 }, (_, i) => `${(i / 30).toFixed(6)},${i}`).join('\n') + '\n');
      const before = spawnCount();
      const d = await loadDataset({ source: ts, labels, input: { width: 16, height: 8 } }, { cacheDir: join(dir, 'cache-ts') });
      // The packet path: one ffprobe and one ffmpeg.
      expect(spawnCount() - before).toBe(2);
      expect(d.frames.count).toBe(60);
      d.frames.timestampsS.forEach((t, i) => expect(Math.abs(t - i / 30)).toBeLessThanOrEqual(1e-6));
      expect(d.anglesDeg).toHaveLength(60);
      d.anglesDeg.forEach((a, i) => expect(Math.abs(a - i)).toBeLessThan(1e-3));
      d.frames.close();
    } finally {
      restore();
    }
  });

  it('another ffprobe that crashes only with the host iconv modules is retried without them, once per binary', async () => {
    const real = locateTool('ffprobe').path;
    const wrapper = join(dir, 'gconv-crash-ffprobe.sh');
    // Crashes as the static build did on .ts: unless GCONV_PATH is set.
    writeFileSync(wrapper, `#!/bin/sh\n[ -z "\${GCONV_PATH+x}" ] && kill -SEGV $$\nexec '${real}' "$@"\n`);
    chmodSync(wrapper, 0o755);
    process.env.STEERLAB_FFPROBE = wrapper;
    try {
      const plain = await runTool('ffprobe', ['-version']);
      expect(plain.result).toMatchObject({ status: 'failed', signal: 'SIGSEGV' });
      let before = spawnCount();
      const p = await probeVideoDetailed(ts);
      expect(spawnCount() - before).toBe(2);
      expect(p.frameTimesS).toHaveLength(60);
      before = spawnCount();
      expect((await probeVideoDetailed(ts)).frameTimesS).toHaveLength(60);
      expect(spawnCount() - before).toBe(1);
    } finally {
      restore();
    }
  });

  it('an ffprobe that dies from a signal anyway: one UserError naming the signal, the file and STEERLAB_FFPROBE', async () => {
    const wrapper = join(dir, 'segv-ffprobe.sh');
    writeFileSync(wrapper, '#!/bin/sh\nkill -SEGV $$\n');
    chmodSync(wrapper, 0o755);
    process.env.STEERLAB_FFPROBE = wrapper;
    try {
      const err = await probeVideoDetailed(ts).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(UserError);
      const msg = (err as Error).message;
      expect(msg).not.toContain('\n');
      expect(msg).toContain(`ffprobe died from SIGSEGV while reading "${ts}"`);
      expect(msg).toContain(wrapper);
      expect(msg).toMatch(/STEERLAB_FFPROBE/);
    } finally {
      restore();
    }
  });
});
