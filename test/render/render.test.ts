/**
 * The prediction video of a trained run: `steerlab render` writes H.264
 * whose frame count and duration (ffprobe) match the source range, with and
 * without the saliency overlay; a bad range fails in one line; cancelling
 * leaves no file and no ffmpeg behind.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelledError } from '../../src/errors.ts';
import { renderDrive } from '../../src/render/drive-video.ts';
import { liveCount, runTool } from '../../src/video/ffmpeg.ts';
import { jsonOutput, runCli } from '../helpers/cli.ts';
import { trainedRun, type TrainedRun } from '../saliency/trained-run.ts';

let dir: string;
let t: TrainedRun;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'steerlab-render-'));
  // 200 frames at 5 fps: a 40 s drive.
  t = await trainedRun(dir, { frames: 200, width: 96, height: 48, fps: 5, epochs: 2, cropTop: 8 });
}, 180_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Codec, decoded frame count, frame rate and duration of a video, as ffprobe reads them. */
async function probe(path: string): Promise<{ codec: string; frames: number; fps: string; durationS: number; width: number; height: number }> {
  const { result, stdout } = await runTool('ffprobe', [
    '-v', 'error', '-count_frames', '-select_streams', 'v:0',
    '-show_entries', 'stream=codec_name,nb_read_frames,r_frame_rate,width,height:format=duration', '-of', 'json', path,
  ]);
  expect(result.status).toBe('ok');
  const j = JSON.parse(stdout) as { streams: Record<string, string | number>[]; format: { duration: string } };
  const s = j.streams[0];
  return { codec: String(s.codec_name), frames: Number(s.nb_read_frames), fps: String(s.r_frame_rate), durationS: Number(j.format.duration), width: Number(s.width), height: Number(s.height) };
}

describe('steerlab render', () => {
  it('renders the whole drive: one video frame per source frame, the same duration', async () => {
    const out = join(dir, 'drive.mp4');
    const r = jsonOutput(await runCli(['render', t.runDir, '--out', out, '--json'], { cwd: dir }));
    expect([r.frames, r.fps, r.durationS, r.fromS, r.toS]).toEqual([200, 5, 40, 0, 40]);
    const p = await probe(out);
    expect(p).toEqual({ codec: 'h264', frames: 200, fps: '5/1', durationS: 40, width: r.width, height: r.height });
  }, 120_000);

  it('renders a range with the saliency overlay: the range\'s frames and duration', async () => {
    const out = join(dir, 'range.mp4');
    const r = await runCli(['render', t.runDir, '--out', out, '--from', '2', '--to', '6', '--saliency', '--method', 'gradcam'], { cwd: dir });
    expect(r.code).toBe(0);
    // Progress went to stderr, the result to stdout.
    expect(r.stderr).toMatch(/render: 20\/20 frames \(100%\)/);
    expect(r.stdout).toMatch(/: 20 frames at 5 fps \(4\.00 s, 2\.00 s to 6\.00 s of the drive\)/);
    const p = await probe(out);
    expect([p.frames, p.durationS]).toEqual([20, 4]);
  }, 120_000);

  it('fails in one line for a range outside the drive or an empty one', async () => {
    const r = await runCli(['render', t.runDir, '--out', join(dir, 'x.mp4'), '--from', '50'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('steerlab: no frame from 50 s on: the drive runs from 0.00 s to 39.80 s; pick --from/--to within it');
    const r2 = await runCli(['render', t.runDir, '--out', join(dir, 'x.mp4'), '--from', '6', '--to', '2'], { cwd: dir });
    expect(r2.stderr.trim()).toBe('steerlab: --to 2 s is not after --from 6 s; give a range with to > from');
    expect(existsSync(join(dir, 'x.mp4'))).toBe(false);
  }, 60_000);

  it('cancels on the signal: CancelledError, no file (not even a partial one), no ffmpeg left running', async () => {
    const ac = new AbortController();
    const out = join(dir, 'cancelled.mp4');
    const run = renderDrive(t.runDir, { out, signal: ac.signal, onProgress: (p) => p.done === 30 && ac.abort() });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(readdirSync(dir).filter((f) => f.startsWith('cancelled'))).toEqual([]);
    expect(liveCount()).toBe(0);
  }, 60_000);
});
