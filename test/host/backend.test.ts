/**
 * The backend's data-set handlers against the real video/synth modules: a
 * tiny demo drive, its frames as PNGs at the model input size, and the
 * one-line errors a person sees for unknown ids.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { useBackend } from '../helpers/backend.ts';
import { DatasetOverview, FrameImage, CropPreview } from '../../src/contract/index.ts';
import { synthesizeDrive } from '../../src/synth/index.ts';

const b = useBackend('steerlab-backend-');

describe('backend data-set handlers', () => {
  it('opens a small demo drive, serves its frames as PNGs with their true angle, and a crop preview', async () => {
    const progress: string[] = [];
    b.onEvent((e) => { if (e.name === 'progress') progress.push((e.payload as { task: string }).task); });
    const res = await b.request({ t: 'req', name: 'dataset.demo', args: { frames: 60, input: { width: 40, height: 20 } } });
    expect(res.ok).toBe(true);
    const s = DatasetOverview.parse((res as { result: unknown }).result);
    expect(s.video.frames).toBe(60);
    expect(s.anglesDeg).toHaveLength(s.sampleFrame.length);
    expect(s.stats.n).toBe(s.anglesDeg.length);
    expect(progress).toEqual(expect.arrayContaining(['synth', 'decode']));

    const sample = Math.floor(s.anglesDeg.length / 2);
    const fr = await b.request({ t: 'req', name: 'dataset.frame', args: { datasetId: s.datasetId, sample } });
    const f = FrameImage.parse((fr as { result: unknown }).result);
    expect(f.angleDeg).toBe(s.anglesDeg[sample]);
    expect(f.frameIndex).toBe(s.sampleFrame[sample]);
    const png = PNG.sync.read(Buffer.from(f.dataUrl.split(',')[1], 'base64'));
    expect([png.width, png.height]).toEqual([40, 20]);

    const pv = await b.request({ t: 'req', name: 'dataset.preview', args: { datasetId: s.datasetId } });
    const p = CropPreview.parse((pv as { result: unknown }).result);
    expect(p.width).toBeLessThanOrEqual(320);
    expect(p.width / p.height).toBeCloseTo(s.video.width / s.video.height, 1);
    // The suggested crop samples every labelled frame of a drive this short (60 < 200), in source pixels.
    expect(p.suggestion.frames).toBe(s.sampleFrame.length);
    expect(p.suggestion.rowHeightPx * p.suggestion.rowScores.length).toBe(s.video.height);
    expect(p.suggestion.reason).toMatch(p.suggestion.found ? /vary least over the drive/ : /no crop suggested/);

    // Reopening the same drive hits the frame cache.
    const again = DatasetOverview.parse(((await b.request({ t: 'req', name: 'dataset.demo', args: { frames: 60, input: { width: 40, height: 20 } } })) as { result: unknown }).result);
    expect(again.cacheHit).toBe(true);
    expect(again.anglesDeg).toEqual(s.anglesDeg);

    const past = await b.request({ t: 'req', name: 'dataset.frame', args: { datasetId: s.datasetId, sample: 10_000 } });
    expect(past).toMatchObject({ ok: false, error: { code: 'user', message: expect.stringMatching(/past the end/) } });
  }, 120_000);

  it('opens two videos, each with its own labels, as one data set: samples in order, frames read from the right video', async () => {
    const a = await synthesizeDrive(join(b.dir, 'drive-a'), { frames: 40, seed: 3, width: 64, height: 32, fps: 20 });
    const c = await synthesizeDrive(join(b.dir, 'drive-c'), { frames: 50, seed: 4, width: 64, height: 32, fps: 20 });
    const input = { width: 32, height: 16 };
    const one = async (v: { videoPath: string; labelsPath: string }) =>
      DatasetOverview.parse(((await b.request({ t: 'req', name: 'dataset.open', args: { source: v.videoPath, labels: v.labelsPath, input } })) as { result: unknown }).result);
    const sa = await one(a);
    const sc = await one(c);
    expect(sa.videos).toBeUndefined(); // one video: summarised as before
    const res = await b.request({ t: 'req', name: 'dataset.open', args: { source: a.videoPath, labels: a.labelsPath, input, more: [{ source: c.videoPath, labels: c.labelsPath }] } });
    expect(res.ok).toBe(true);
    const s = DatasetOverview.parse((res as { result: unknown }).result);
    expect(s.videos?.map((v) => [v.source, v.labels, v.frames, v.firstSample, v.samples])).toEqual([
      [a.videoPath, a.labelsPath, 40, 0, sa.anglesDeg.length],
      [c.videoPath, c.labelsPath, 50, sa.anglesDeg.length, sc.anglesDeg.length],
    ]);
    expect(s.anglesDeg).toEqual([...sa.anglesDeg, ...sc.anglesDeg]);
    expect(s.video.frames).toBe(90);
    // The first sample of the second video is that video's first sample, with its pixels.
    const k = sa.anglesDeg.length;
    const fr = FrameImage.parse(((await b.request({ t: 'req', name: 'dataset.frame', args: { datasetId: s.datasetId, sample: k } })) as { result: unknown }).result);
    const own = FrameImage.parse(((await b.request({ t: 'req', name: 'dataset.frame', args: { datasetId: sc.datasetId, sample: 0 } })) as { result: unknown }).result);
    expect(fr.frameIndex).toBe(40 + own.frameIndex);
    expect(fr.angleDeg).toBe(own.angleDeg);
    expect(fr.dataUrl).toBe(own.dataUrl);
    // The suggested crop samples both videos (they share one crop): their labelled frames, each from its own file.
    const pv = CropPreview.parse(((await b.request({ t: 'req', name: 'dataset.preview', args: { datasetId: s.datasetId } })) as { result: unknown }).result);
    expect(pv.suggestion.frames).toBe(s.anglesDeg.length);
    // The lab studies train on one drive and say so rather than silently using the first video.
    const st = await b.request({ t: 'req', name: 'study.start', args: { name: 'output-head', quick: true, datasetId: s.datasetId } });
    expect(st).toMatchObject({ ok: false, error: { code: 'user', message: expect.stringMatching(/one video; this data set has 2/) } });
  }, 120_000);

  it('answers unknown ids with one-line user errors', async () => {
    expect(await b.request({ t: 'req', name: 'dataset.frame', args: { datasetId: 'feedbeef', sample: 0 } })).toMatchObject({ ok: false, error: { code: 'user', message: expect.stringMatching(/not open/) } });
    expect(await b.request({ t: 'req', name: 'runs.get', args: { runId: 'nope' } })).toMatchObject({ ok: false, error: { code: 'user', message: expect.stringMatching(/not in the workspace/) } });
    expect(await b.request({ t: 'req', name: 'experiment.compare', args: { experimentId: 'nope' } })).toMatchObject({ ok: false, error: { code: 'user' } });
    expect(await b.request({ t: 'req', name: 'experiment.cancel', args: { experimentId: 'nope' } })).toMatchObject({ ok: true, result: { cancelled: false } });
    expect(await b.request({ t: 'req', name: 'dataset.open', args: { source: join(b.dir, 'missing.mp4') } })).toMatchObject({ ok: false });
  });
});
