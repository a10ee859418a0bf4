/**
 * Two speed-ups of the cache-miss decode must not change what the consumer
 * sees: lent frames (buffers of frames that straddled two pipe reads are
 * reused once the consumer asks for the next frame) and a frame-time probe
 * started only after ffmpeg is spawned (frameTimesS as a function).
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeFrames } from '../../src/video/decode.ts';
import { liveCount, spawnCount } from '../../src/video/ffmpeg.ts';
import { probeVideoDetailed } from '../../src/video/probe.ts';
import { VFR_TIMES_S, collectFrames as all, tempDir, writeIndexVideo, writeVfrVideo } from './fixtures.ts';

const dir = tempDir();
const vfr = join(dir, 'vfr.mkv');
const cfr = join(dir, 'cfr.mp4');
// 200x66 rgb24 is 39,600 bytes: more than half of a 64 KiB pipe read, so no
// read holds two whole frames and most frames straddle two reads.
const W = 200;
const H = 66;

beforeAll(async () => {
  await writeVfrVideo(vfr);
  await writeIndexVideo(cfr);
});

/** Each frame's bytes copied at the moment it is yielded, plus the ArrayBuffer it lived in. */
async function snapshot(gen: AsyncGenerator<{ rgb: Uint8Array; ptsS: number }>): Promise<{ bytes: Buffer[]; ptsS: number[]; buffers: ArrayBufferLike[] }> {
  const bytes: Buffer[] = [];
  const ptsS: number[] = [];
  const buffers: ArrayBufferLike[] = [];
  for await (const f of gen) {
    expect(f.rgb.length).toBe(W * H * 3);
    bytes.push(Buffer.from(f.rgb));
    ptsS.push(f.ptsS);
    buffers.push(f.rgb.buffer);
  }
  return { bytes, ptsS, buffers };
}

describe('lent frames', () => {
  it('are byte for byte the given frames at the time they are yielded, and their buffers are reused', async () => {
    const times = (await probeVideoDetailed(cfr)).frameTimesS;
    const given = await snapshot(decodeFrames(cfr, { width: W, height: H }, { frameTimesS: times }));
    const lent = await snapshot(decodeFrames(cfr, { width: W, height: H }, { frameTimesS: times, lend: true }));
    expect(lent.bytes).toHaveLength(60);
    expect(given.bytes).toHaveLength(60);
    lent.bytes.forEach((b, i) => expect(b.equals(given.bytes[i])).toBe(true));
    expect(lent.ptsS).toEqual(given.ptsS);
    // Given frames are the caller's own: no two share memory.
    expect(new Set(given.buffers).size).toBe(60);
    // Lent ones come back: far fewer buffers than frames.
    expect(new Set(lent.buffers).size).toBeLessThan(45);
  });

  it('a consumer that keeps frames without lend still has every frame intact at the end', async () => {
    const frames = await all(decodeFrames(cfr, { width: W, height: H }));
    const again = await snapshot(decodeFrames(cfr, { width: W, height: H }));
    frames.forEach((f, i) => expect(Buffer.from(f.rgb).equals(again.bytes[i])).toBe(true));
  });
});

describe('frame times from a function', () => {
  it('is called once, after ffmpeg is spawned, and gives the exact VFR times', async () => {
    const p = await probeVideoDetailed(vfr);
    const before = spawnCount();
    const spawnedAtCall: number[] = [];
    const frames = await all(
      decodeFrames(vfr, { width: 64, height: 32 }, {
        frameTimesS: () => {
          spawnedAtCall.push(spawnCount() - before);
          return probeVideoDetailed(vfr).then((q) => q.frameTimesS);
        },
      }),
    );
    expect(spawnedAtCall).toEqual([1]);
    // ffmpeg, then ffprobe.
    expect(spawnCount() - before).toBe(2);
    expect(frames).toHaveLength(60);
    frames.forEach((f, i) => {
      expect(f.ptsS).toBe(p.frameTimesS[i]);
      expect(Math.abs(f.ptsS - VFR_TIMES_S[i])).toBeLessThan(0.0011);
    });
  });

  it('that throws at once: its error, ffmpeg stopped', async () => {
    const boom = new Error('no probe');
    const run = all(
      decodeFrames(cfr, { width: 64, height: 32 }, {
        frameTimesS: () => {
          throw boom;
        },
      }),
    );
    await expect(run).rejects.toBe(boom);
    expect(liveCount()).toBe(0);
  });
});
