/**
 * The backend's data-set handlers against the real video/synth modules: a
 * tiny demo drive, its frames as PNGs at the model input size, and the
 * one-line errors a person sees for unknown ids.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { startBackendInProcess } from '../../src/server/backend-process.ts';
import type { BackendLink } from '../../src/server/link.ts';
import { DatasetSummary, FrameImage, CropPreview } from '../../src/contract/index.ts';

let dir: string;
let b: BackendLink;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'steerlab-backend-'));
  b = await startBackendInProcess({ workspace: dir });
});
afterAll(async () => {
  await b?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('backend data-set handlers', () => {
  it('opens a small demo drive, serves its frames as PNGs with their true angle, and a crop preview', async () => {
    const progress: string[] = [];
    b.onEvent((e) => { if (e.name === 'progress') progress.push((e.payload as { task: string }).task); });
    const res = await b.request({ t: 'req', name: 'dataset.demo', args: { frames: 60, input: { width: 40, height: 20 } } });
    expect(res.ok).toBe(true);
    const s = DatasetSummary.parse((res as { result: unknown }).result);
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

    // Reopening the same drive hits the frame cache.
    const again = DatasetSummary.parse(((await b.request({ t: 'req', name: 'dataset.demo', args: { frames: 60, input: { width: 40, height: 20 } } })) as { result: unknown }).result);
    expect(again.cacheHit).toBe(true);
    expect(again.anglesDeg).toEqual(s.anglesDeg);

    const past = await b.request({ t: 'req', name: 'dataset.frame', args: { datasetId: s.datasetId, sample: 10_000 } });
    expect(past).toMatchObject({ ok: false, error: { code: 'user', message: expect.stringMatching(/past the end/) } });
  }, 120_000);

  it('answers unknown ids with one-line user errors', async () => {
    expect(await b.request({ t: 'req', name: 'dataset.frame', args: { datasetId: 'feedbeef', sample: 0 } })).toMatchObject({ ok: false, error: { code: 'user', message: expect.stringMatching(/not open/) } });
    expect(await b.request({ t: 'req', name: 'runs.get', args: { runId: 'nope' } })).toMatchObject({ ok: false, error: { code: 'user', message: expect.stringMatching(/not in the workspace/) } });
    expect(await b.request({ t: 'req', name: 'experiment.compare', args: { experimentId: 'nope' } })).toMatchObject({ ok: false, error: { code: 'user' } });
    expect(await b.request({ t: 'req', name: 'experiment.cancel', args: { experimentId: 'nope' } })).toMatchObject({ ok: true, result: { cancelled: false } });
    expect(await b.request({ t: 'req', name: 'dataset.open', args: { source: join(dir, 'missing.mp4') } })).toMatchObject({ ok: false });
  });
});
