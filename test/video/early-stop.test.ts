/**
 * A consumer that leaves decodeFrames early while ffmpeg waits on a full
 * pipe (stdout paused, unread bytes): ffmpeg must be stopped and the
 * generator must return. Before the fix, the paused stdout never ended, so
 * the child's 'close' never came and the generator's cleanup hung forever.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeFrames } from '../../src/video/decode.ts';
import { liveCount } from '../../src/video/ffmpeg.ts';
import { probeVideoDetailed } from '../../src/video/probe.ts';
import { tempDir, writeIndexVideo } from './fixtures.ts';

const cfr = join(tempDir(), 'cfr.mp4');

beforeAll(async () => {
  await writeIndexVideo(cfr);
});

describe('leaving decodeFrames early', () => {
  it('a consumer that stops early while stdout is paused: ffmpeg is stopped, no hang', { timeout: 20_000 }, async () => {
    const p = await probeVideoDetailed(cfr);
    let n = 0;
    for await (const f of decodeFrames(cfr, { width: 1024, height: 512 }, { frameTimesS: p.frameTimesS })) {
      expect(f.index).toBe(n);
      // Let ffmpeg fill the pipe and the queue so stdout is paused when we leave.
      if (++n === 2) {
        await new Promise((r) => setTimeout(r, 300));
        break;
      }
    }
    expect(liveCount()).toBe(0);
  });

});
