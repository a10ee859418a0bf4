/**
 * DatasetState (runes, compiled as the app compiles it) over a client and an
 * in-memory Router: the crop preview arrives with the suggested crop, and
 * "Use suggested crop" fills the open form's crop fields (and its video and
 * labels when the form names none, as after the demo drive).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadRunes, cleanCompiled } from './runes.ts';
import { harness, stateSrc } from './harness.ts';
import { Router, type CropPreview, type DatasetOverview } from '../../src/contract/index.ts';
import type * as AppMod from '../../renderer/src/lib/state/app.svelte.ts';
import type * as DatasetMod from '../../renderer/src/lib/state/dataset.svelte.ts';

afterAll(() => cleanCompiled());

const PNG = 'data:image/png;base64,iVBORw0KGgo=';

const summary: DatasetOverview = {
  datasetId: 'ds1',
  spec: { source: '/drives/demo/synth.mp4', labels: '/drives/demo/labels.csv', input: { width: 64, height: 32 } },
  video: { path: '/drives/demo/synth.mp4', frames: 3, fps: 20, width: 320, height: 160, durationS: 0.15, codec: 'h264', rotationDeg: 0, variableFrameRate: false },
  labels: { path: '/drives/demo/labels.csv', format: 'csv', units: 'degrees', unitsInferred: false, sign: 'positive-right', key: 'time', rows: 3 },
  stats: { n: 3, minDeg: 0, maxDeg: 2, meanDeg: 1, stdDeg: 1, histogram: { edgesDeg: [0, 2], counts: [3] } },
  alignment: { method: 'time', matched: 3, unmatchedFrames: 0, unmatchedLabels: 0, gaps: [], offsetMs: 0, maxGapMs: 200 },
  warnings: [],
  sampleFrame: [0, 1, 2],
  sampleTimeS: [0, 0.05, 0.1],
  anglesDeg: [0, 1, 2],
  cacheHit: false,
  openS: 0.1,
};

function preview(found: boolean): CropPreview {
  const crop = found ? { top: 72, bottom: 0, left: 0, right: 0 } : { top: 0, bottom: 0, left: 0, right: 0 };
  return {
    sourceWidth: 320, sourceHeight: 160, width: 320, height: 160, crop: { top: 0, bottom: 0, left: 0, right: 0 }, dataUrl: PNG,
    suggestion: {
      crop, found, topRows: found ? { from: 0, to: 71 } : null, bottomRows: null,
      reason: found ? 'rows 0-71 (probably sky) vary least over the drive: suggested --crop 72,0,0,0' : 'no band at the top or bottom varies much less than the rest: no crop suggested',
      rowScores: [1.5, 1.6, 12, 13], rowHeightPx: 40, roadScore: 12.6, thresholdScore: 3.2, frames: 200,
    },
  };
}

async function setup(found: boolean) {
  const { AppState } = await loadRunes<typeof AppMod>(stateSrc('app.svelte.ts'));
  const { DatasetState } = await loadRunes<typeof DatasetMod>(stateSrc('dataset.svelte.ts'));
  const router = new Router()
    .handle('dataset.demo', async () => summary)
    .handle('dataset.frame', async (a) => ({ sample: a.sample, frameIndex: a.sample, timeS: 0, angleDeg: 0, width: 64, height: 32, dataUrl: PNG }))
    .handle('dataset.preview', async () => preview(found));
  const app = new AppState({ client: harness(router).client, transport: 'websocket', host: null });
  const dataset = new DatasetState(app);
  await dataset.openDemo();
  // The preview is asked for after the open resolves, without holding it up.
  for (let i = 0; i < 50 && !dataset.preview; i++) await new Promise((r) => setTimeout(r, 5));
  expect(app.error).toBe(null);
  return dataset;
}

describe('DatasetState: suggested crop', () => {
  it('the preview carries the suggestion; "Use suggested crop" fills the crop fields and the demo drive\'s paths, and opens the form', async () => {
    const dataset = await setup(true);
    expect(dataset.preview?.suggestion.reason).toMatch(/suggested --crop 72,0,0,0/);
    expect(dataset.form).toEqual({ open: false, source: '', labels: '', crop: { top: 0, bottom: 0, left: 0, right: 0 } });
    dataset.useSuggestedCrop();
    expect(dataset.form).toEqual({ open: true, source: '/drives/demo/synth.mp4', labels: '/drives/demo/labels.csv', crop: { top: 72, bottom: 0, left: 0, right: 0 } });
  });

  it('keeps a video the form already names, and does nothing when there is no suggestion', async () => {
    const dataset = await setup(true);
    dataset.form.source = '/mine/drive.mp4';
    dataset.useSuggestedCrop();
    expect(dataset.form.source).toBe('/mine/drive.mp4');
    expect(dataset.form.labels).toBe('');
    expect(dataset.form.crop.top).toBe(72);

    const none = await setup(false);
    none.useSuggestedCrop();
    expect(none.form).toEqual({ open: false, source: '', labels: '', crop: { top: 0, bottom: 0, left: 0, right: 0 } });
  });
});
