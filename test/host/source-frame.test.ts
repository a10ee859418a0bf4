/**
 * `dataset.sourceFrame`: one sample's frame decoded again at source size
 * (the frame cache holds only the model input), from the right video of a
 * data set of several, with the crop the model's input was cut from.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { useBackend } from '../helpers/backend.ts';
import { DatasetOverview, FrameImage, SourceFrame } from '../../src/contract/index.ts';
import { synthesizeDrive } from '../../src/synth/index.ts';

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
