/**
 * DatasetState and the source frame: it is asked for once the scrubber rests
 * (one decode per stop, not one per step of a drag), only the latest answer
 * is kept, and Apply reopens the drive with the crop typed in the form.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadRunes, cleanCompiled } from './runes.ts';
import { harness, stateSrc } from './harness.ts';
import { Router, type ArgsIn, type DatasetOverview } from '../../src/contract/index.ts';
import type * as AppMod from '../../renderer/src/lib/state/app.svelte.ts';
import type * as DatasetMod from '../../renderer/src/lib/state/dataset.svelte.ts';

afterAll(() => cleanCompiled());

const PNG = 'data:image/png;base64,iVBORw0KGgo=';
const summary: DatasetOverview = {
  datasetId: 'ds1',
  spec: { source: '/drives/demo/synth.mp4', labels: '/drives/demo/labels.csv', input: { width: 64, height: 32 } },
  video: { path: '/drives/demo/synth.mp4', frames: 10, fps: 20, width: 320, height: 160, durationS: 0.5, codec: 'h264', rotationDeg: 0, variableFrameRate: false },
  labels: { path: '/drives/demo/labels.csv', format: 'csv', units: 'degrees', unitsInferred: false, sign: 'positive-right', key: 'time', rows: 10 },
  stats: { n: 10, minDeg: 0, maxDeg: 9, meanDeg: 4.5, stdDeg: 3, histogram: { edgesDeg: [0, 9], counts: [10] } },
  alignment: { method: 'time', matched: 10, unmatchedFrames: 0, unmatchedLabels: 0, gaps: [], offsetMs: 0, maxGapMs: 200 },
  warnings: [],
  sampleFrame: [...Array(10).keys()],
  sampleTimeS: [...Array(10).keys()].map((i) => i / 20),
  anglesDeg: [...Array(10).keys()],
  cacheHit: false,
  openS: 0.1,
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('DatasetState: source frame and Apply crop', () => {
  it('decodes the source frame once the scrubber rests, and reopens with the typed crop on Apply', async () => {
    const { AppState } = await loadRunes<typeof AppMod>(stateSrc('app.svelte.ts'));
    const { DatasetState } = await loadRunes<typeof DatasetMod>(stateSrc('dataset.svelte.ts'));
    const asked: number[] = [];
    const opened: ArgsIn<'dataset.open'>[] = [];
    const router = new Router()
      .handle('dataset.demo', async () => summary)
      .handle('dataset.open', async (a) => { opened.push(a); return { ...summary, spec: { ...summary.spec, ...(a.crop ? { crop: a.crop } : {}) } }; })
      .handle('dataset.frame', async (a) => ({ sample: a.sample, frameIndex: a.sample, timeS: 0, angleDeg: 0, width: 64, height: 32, dataUrl: PNG }))
      .handle('dataset.preview', async () => { throw new Error('not in this test'); })
      .handle('dataset.sourceFrame', async (a) => {
        asked.push(a.sample);
        return { sample: a.sample, frameIndex: a.sample, timeS: a.sample / 20, angleDeg: a.sample, sourceWidth: 320, sourceHeight: 160, width: 320, height: 160, crop: { top: 0, bottom: 0, left: 0, right: 0 }, dataUrl: PNG };
      });
    const app = new AppState({ client: harness(router).client, transport: 'websocket', host: null });
    const dataset = new DatasetState(app);
    await dataset.openDemo();
    // A drag: several seeks in a row, then a rest.
    for (const i of [1, 2, 3, 4]) void dataset.seek(i);
    await dataset.seek(7);
    await sleep(400);
    expect(asked.at(-1)).toBe(7);
    expect(asked).toEqual([7]); // the open's own seek (to the middle) and the drag's steps were never decoded
    expect(dataset.sourceFrame?.sample).toBe(7);

    dataset.form.crop = { top: 20, bottom: 10, left: 8, right: 12 };
    expect(opened).toHaveLength(0); // typing decodes nothing
    await dataset.applyCrop();
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatchObject({ source: summary.spec.source, labels: summary.spec.labels, input: { width: 64, height: 32 }, crop: { top: 20, bottom: 10, left: 8, right: 12 } });
    expect(dataset.summary?.spec.crop).toEqual({ top: 20, bottom: 10, left: 8, right: 12 });
  });
});
