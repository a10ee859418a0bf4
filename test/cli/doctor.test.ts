import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

describe('steerlab doctor', () => {
  it('--json reports ffmpeg (path, version, source) and every engine with a reason', async () => {
    const r = await runCli(['doctor', '--json'], { env: { STEERLAB_FFMPEG: undefined, STEERLAB_FFPROBE: undefined } });
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.ffmpeg).toMatchObject({ source: '@ffmpeg-installer/ffmpeg' });
    expect(j.ffmpeg.path).toMatch(/ffmpeg$/);
    expect(j.ffmpeg.version.length).toBeGreaterThan(3);
    expect(j.engines.map((e: { name: string }) => e.name)).toEqual(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']);
    for (const e of j.engines) {
      expect(typeof e.available).toBe('boolean');
      expect(e.reason.length).toBeGreaterThan(5);
    }
    expect(j.node).toBe(process.versions.node);
    expect(j.ok).toBe(true);
  });

  it('with STEERLAB_FFMPEG pointing nowhere it says so, says how to fix it, and exits non-zero', async () => {
    const r = await runCli(['doctor', '--json'], { env: { STEERLAB_FFMPEG: '/no/such/ffmpeg' } });
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.ok).toBe(false);
    expect(j.ffmpeg.path).toBeNull();
    expect(j.missing.find((m: { part: string }) => m.part === 'ffmpeg').how).toMatch(/STEERLAB_FFMPEG/);
  });
});
