/**
 * `dataset.sourceFrame`: one sample's frame decoded again at source size
 * (the frame cache holds only the model input), from the right video of a
 * data set of several, with the crop the model's input was cut from; found
 * by seeking, and byte for byte the frame a decode from the start gives.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { useBackend } from '../helpers/backend.ts';
import { DatasetOverview, FrameImage, SourceFrame } from '../../src/contract/index.ts';
import { sourceFrameOf } from '../../src/lab/source-frame.ts';
import { seekSourceFrame, type FrameTime } from '../../src/video/seek-frame.ts';
import { synthesizeDrive } from '../../src/synth/index.ts';
import { loadDataset } from '../../src/video/dataset.ts';
import { runTool } from '../../src/video/ffmpeg.ts';
import { sampleFrames } from '../../src/video/sample.ts';
import type { Dataset } from '../../src/video/types.ts';
import { writeVfrVideo } from '../video/fixtures.ts';

const b = useBackend('steerlab-source-frame-');

const result = async (name: string, args: Record<string, unknown>): Promise<unknown> => {
  const r = await b.request({ t: 'req', name, args });
  if (!r.ok) throw new Error(JSON.stringify(r));
  return (r as { result: unknown }).result;
};
const png = (dataUrl: string) => PNG.sync.read(Buffer.from(dataUrl.split(',')[1], 'base64'));

describe('dataset.sourceFrame', () => {
  it('decodes the scrubbed sample at source size, from its own video, with the crop in use', async () => {
    const a = await synthesizeDrive(join(b.dir, 'a'), { frames: 30, seed: 3, width: 96, height: 48, fps: 20 });
    const c = await synthesizeDrive(join(b.dir, 'c'), { frames: 30, seed: 4, width: 96, height: 48, fps: 20 });
    const crop = { top: 12, bottom: 6, left: 4, right: 8 };
    const input = { width: 32, height: 16 };
    const only = DatasetOverview.parse(await result('dataset.open', { source: c.videoPath, labels: c.labelsPath, input, crop }));
    const both = DatasetOverview.parse(await result('dataset.open', { source: a.videoPath, labels: a.labelsPath, input, crop, more: [{ source: c.videoPath, labels: c.labelsPath }] }));
    const k = both.videos![1].firstSample + 5;

    const f = SourceFrame.parse(await result('dataset.sourceFrame', { datasetId: both.datasetId, sample: k }));
    expect(f).toMatchObject({ sample: k, frameIndex: both.sampleFrame[k], sourceWidth: 96, sourceHeight: 48, width: 96, height: 48, crop, angleDeg: both.anglesDeg[k] });
    expect(f.timeS).toBeCloseTo(both.sampleTimeS[k], 6);
    const img = png(f.dataUrl);
    expect([img.width, img.height]).toEqual([96, 48]);
    // The same picture as that video opened alone (its 6th sample), not the first video's frame of that index.
    const own = SourceFrame.parse(await result('dataset.sourceFrame', { datasetId: only.datasetId, sample: 5 }));
    expect(own.dataUrl).toBe(f.dataUrl);
    const first = SourceFrame.parse(await result('dataset.sourceFrame', { datasetId: both.datasetId, sample: 5 }));
    expect(first.dataUrl).not.toBe(f.dataUrl);
    // The model input is a crop of it: the frame cache's image is the smaller one.
    const m = FrameImage.parse(await result('dataset.frame', { datasetId: both.datasetId, sample: k }));
    expect([m.width, m.height]).toEqual([32, 16]);

    const past = await b.request({ t: 'req', name: 'dataset.sourceFrame', args: { datasetId: both.datasetId, sample: 10_000 } });
    expect(past).toMatchObject({ ok: false, error: { code: 'user', message: expect.stringMatching(/past the end/) } });
    expect(await b.request({ t: 'req', name: 'dataset.sourceFrame', args: { datasetId: 'feedbeef', sample: 0 } })).toMatchObject({ ok: false, error: { code: 'user', message: expect.stringMatching(/not open/) } });
  }, 120_000);
});

/** Frame i's time and its neighbours' as the data set's frame store records them. */
const timeOf = (ds: Dataset, i: number): FrameTime => {
  const ts = ds.frames.timestampsS;
  return { timeS: ts[i], prevS: i > 0 ? ts[i - 1] : undefined, nextS: i + 1 < ts.length ? ts[i + 1] : undefined };
};
const same = (a: Uint8Array | null | undefined, b: Uint8Array | null | undefined) => !!a && !!b && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

describe('dataset.sourceFrame seeks', () => {
  it('gives byte for byte the frame a decode from the start gives, at 29.97 fps, with B-frames and short GOPs, and with a variable rate', async () => {
    // 29.97 fps (not a whole number of frames per second): keyframes at 0 and 250 (x264 ultrafast, no B-frames).
    const s = await synthesizeDrive(join(b.dir, 'ntsc'), { frames: 420, seed: 5, width: 96, height: 48, fps: 29.97 });
    // The same drive with B-frames (decode order differs from presentation order) and a keyframe every 24 frames.
    const bf = join(b.dir, 'ntsc', 'bframes.mp4');
    const enc = await runTool('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', `file:${s.videoPath}`, '-c:v', 'libx264', '-preset', 'veryfast', '-bf', '3', '-g', '24', '-keyint_min', '24', '-pix_fmt', 'yuv420p', `file:${bf}`]);
    expect(enc.result.status).toBe('ok');
    // Frames 0..29 every 1/30 s, then every 0.1 s (matroska).
    const vfr = join(b.dir, 'vfr.mkv');
    await writeVfrVideo(vfr);

    const cacheDir = join(b.dir, 'seek-cache');
    const input = { width: 32, height: 16 };
    const cases: [string, string | undefined, number[]][] = [
      [s.videoPath, s.labelsPath, [0, 1, 249, 250, 251, 300, 417, 418, 419]],
      [bf, s.labelsPath, [0, 1, 23, 24, 25, 239, 240, 396, 397, 418, 419]],
      [vfr, undefined, [0, 1, 29, 30, 31, 58, 59]],
    ];
    for (const [source, labels, frames] of cases) {
      const ds = await loadDataset({ source, labels: labels ?? s.labelsPath, input }, { cacheDir });
      try {
        const n = ds.frames.count;
        expect(frames.at(-1)).toBe(n - 1);
        const size = { width: ds.video.width, height: ds.video.height };
        for (const i of frames) {
          const [full] = await sampleFrames(source, [i], size);
          const seeked = await seekSourceFrame(source, timeOf(ds, i), size, { nominalFps: ds.video.fps });
          expect(seeked, `${source} frame ${i}: the seek found no frame of its time`).not.toBeNull();
          expect(same(seeked, full), `${source} frame ${i}`).toBe(true);
          // The frames next to it differ, so an off-by-one would have failed.
          const [next] = await sampleFrames(source, [i === n - 1 ? i - 1 : i + 1], size);
          expect(same(next, full)).toBe(false);
          // Through the sample, as the app asks for it.
          const sample = ds.sampleFrame.indexOf(i);
          if (sample >= 0) expect(same((await sourceFrameOf(ds, sample)).rgb, full), `${source} sample ${sample}`).toBe(true);
        }
      } finally {
        ds.frames.close();
      }
    }
  }, 240_000);

  it('gives nothing (the caller decodes from the start) when no frame has the time asked for or two frames share it', async () => {
    const s = await synthesizeDrive(join(b.dir, 'gap'), { frames: 60, seed: 6, width: 64, height: 32, fps: 20 });
    const size = { width: 64, height: 32 };
    // Frame 40 is at 2.0 s, frame 41 at 2.05 s: 2.02 s is neither, within a window of 5 ms.
    expect(await seekSourceFrame(s.videoPath, { timeS: 2.02, prevS: 2.01, nextS: 2.03 }, size)).toBeNull();
    expect(await seekSourceFrame(s.videoPath, { timeS: 2.0, prevS: 2.0, nextS: 2.05 }, size)).toBeNull();
    // Past the last frame.
    expect(await seekSourceFrame(s.videoPath, { timeS: 9.0, prevS: 8.95 }, size)).toBeNull();
    // And 2.0 s is frame 40.
    expect(same(await seekSourceFrame(s.videoPath, { timeS: 2.0, prevS: 1.95, nextS: 2.05 }, size), (await sampleFrames(s.videoPath, [40], size))[0])).toBe(true);
  }, 60_000);

  it('seeks again from further back where the container has no keyframe index (MPEG-TS)', async () => {
    // 300 frames at 20 fps, keyframes at frames 0 and 250: a seek into MPEG-TS lands mid-GOP and the decoder waits for the next keyframe.
    const s = await synthesizeDrive(join(b.dir, 'ts'), { frames: 300, seed: 8, width: 64, height: 32, fps: 20 });
    const ts = join(b.dir, 'ts', 'drive.ts');
    const remux = await runTool('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', `file:${s.videoPath}`, '-c', 'copy', '-f', 'mpegts', `file:${ts}`]);
    expect(remux.result.status).toBe('ok');
    const size = { width: 64, height: 32 };
    // Frame i is at i/20 s from the start (the frame store's clock).
    const at = (i: number): FrameTime => ({ timeS: i / 20, prevS: i > 0 ? (i - 1) / 20 : undefined, nextS: i < 299 ? (i + 1) / 20 : undefined });
    for (const i of [0, 120, 240, 249, 250, 299]) {
      const [full] = await sampleFrames(ts, [i], size);
      expect(same(await seekSourceFrame(ts, at(i), size), full), `frame ${i}`).toBe(true);
    }
  }, 60_000);
});
