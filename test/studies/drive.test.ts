/**
 * prepareDrive with a data set spec (what the app passes for "the open data
 * set"): the person's label override, offset and crop reach the loader, the
 * frame count is capped by the study, and missing files fail in one line.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareDrive } from '../../src/studies/drive.ts';
import { DeepCnnGradientsOptions, OutputHeadOptions } from '../../src/studies/options.ts';

const dir = mkdtempSync(join(tmpdir(), 'steerlab-drive-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const video = join(dir, 'drive.mp4');
const labels = join(dir, 'steer.csv');
writeFileSync(video, '');
writeFileSync(labels, 'frame,angle\n0,1\n');

describe('prepareDrive with a data set spec', () => {
  it('keeps the label override, offset and crop, and caps the frames at the study\'s count', async () => {
    const dataset = { source: video, labels, labelOptions: { units: 'radians', sign: 'positive-left' }, offsetMs: 40, crop: { top: 10, bottom: 4, left: 0, right: 0 }, maxFrames: 5000 };
    const d = await prepareDrive({ dataset, frames: 400, seed: 1, workspace: join(dir, 'ws') }, {});
    expect(d.source).toBe(video);
    expect(d.spec).toEqual({ source: video, labels, labelOptions: { units: 'radians', sign: 'positive-left' }, offsetMs: 40, crop: { top: 10, bottom: 4, left: 0, right: 0 }, maxFrames: 400 });
    // The person's own, smaller limit wins.
    expect((await prepareDrive({ dataset: { ...dataset, maxFrames: 90 }, frames: 400, seed: 1, workspace: join(dir, 'ws') }, {})).spec.maxFrames).toBe(90);
  });

  it('refuses a data set together with --video, and missing files, in one line', async () => {
    await expect(prepareDrive({ dataset: { source: video }, video, frames: 10, seed: 1, workspace: dir }, {})).rejects.toThrow(/either a data set or a video/);
    await expect(prepareDrive({ dataset: { source: join(dir, 'nope.mp4') }, frames: 10, seed: 1, workspace: dir }, {})).rejects.toThrow(/video not found/);
    await expect(prepareDrive({ dataset: { source: video, labels: join(dir, 'nope.csv') }, frames: 10, seed: 1, workspace: dir }, {})).rejects.toThrow(/labels not found/);
  });

  it('is an option of both drive studies, checked strictly', () => {
    for (const S of [OutputHeadOptions, DeepCnnGradientsOptions]) {
      expect(S.parse({ dataset: { source: video } }).dataset).toEqual({ source: video });
      expect(S.safeParse({ dataset: { source: video, input: { width: 8, height: 8 } } }).success).toBe(false);
      expect(S.safeParse({ dataset: { labels } }).success).toBe(false);
    }
  });
});
