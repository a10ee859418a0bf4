/**
 * runExperiment / resumeRun on a data set of two tiny synthetic drives
 * (wasm engine, 16x48 input, few steps): both videos are trained on, recorded
 * in experiment.json and the summary, and a resumed run reloads both.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishReport } from '../../src/experiments/publish.ts';
import { resumeRun, runExperiment } from '../../src/lab/index.ts';
import { readExperiment, readRun } from '../../src/experiments/store.ts';
import { synthesizeDrive } from '../../src/synth/index.ts';
import type { DatasetSpec } from '../../src/video/types.ts';

let dir: string;
let a: DatasetSpec;
let b: DatasetSpec;
const base = { name: 'two', epochs: 2, batchSize: 16, maxStepsPerEpoch: 3, logEvery: 2, engine: 'wasm' as const, model: { input: { height: 16, width: 48 } } };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'steerlab-multi-runner-'));
  const da = await synthesizeDrive(join(dir, 'a'), { frames: 120, width: 64, height: 32, fps: 5, seed: 4 });
  const db = await synthesizeDrive(join(dir, 'b'), { frames: 80, width: 64, height: 32, fps: 5, seed: 7 });
  a = { source: da.videoPath, labels: da.labelsPath, input: { width: 48, height: 16 } };
  b = { source: db.videoPath, labels: db.labelsPath, input: { width: 48, height: 16 } };
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('runExperiment with several videos', () => {
  it('trains on both videos and records both (experiment.json, summary, run.json)', async () => {
    const s = await runExperiment({ dataset: [a, b], base, axes: {}, workspace: join(dir, 'ws1') });
    expect(s.status).toBe('completed');
    const d = s.dataset!;
    expect(d.samples).toBe(200);
    expect(d.frames).toBe(200);
    expect(d.source).toBe(`${a.source} + ${b.source}`);
    expect(d.videos!.map((v) => [v.source, v.labels, v.firstSample, v.samples])).toEqual([[a.source, a.labels, 0, 120], [b.source, b.labels!, 120, 80]]);
    // Every sample of the split is in exactly one video's counts, and both videos give validation samples.
    expect(d.videos!.reduce((n, v) => n + v.trainSamples, 0)).toBe(d.trainSamples);
    expect(d.videos!.reduce((n, v) => n + v.valSamples, 0)).toBe(d.valSamples);
    for (const v of d.videos!) expect(v.valSamples).toBeGreaterThan(0);
    expect(d.videos![1].timeOffsetS).toBeCloseTo(24, 6); // b starts one frame (0.2 s) after a's last frame at 23.8 s

    const rec = readExperiment(s.dir)!;
    expect(rec.dataset).toEqual({ videos: [a, b] });
    expect(rec.datasetSummary).toEqual(d);
    const run = readRun(s.runs[0].dir!);
    expect(run.meta!.dataset!.videos).toHaveLength(2);
    const vp = JSON.parse(readFileSync(join(s.runs[0].dir!, 'val-predictions.json'), 'utf8'));
    expect(vp.predDeg).toHaveLength(d.valSamples);
    // Validation times follow the data set's clock: increasing across the joint.
    for (let i = 1; i < vp.timeS.length; i++) expect(vp.timeS[i]).toBeGreaterThan(vp.timeS[i - 1]);

    // The Markdown table and the HTML report name each video with its share of the split.
    const report = publishReport(s.dir);
    const v2 = d.videos![1];
    const line = `video 2: ${b.source} with ${b.labels}: samples 120–200 (80; ${v2.trainSamples} train, ${v2.valSamples} validation)`;
    expect(report.markdown).toContain(line);
    expect(readFileSync(report.paths.html, 'utf8')).toContain(`video 1: ${a.source}`);
  }, 90_000);

  it('one video is recorded exactly as before (the spec itself, no videos list)', async () => {
    const s = await runExperiment({ dataset: a, base: { ...base, epochs: 1 }, axes: {}, workspace: join(dir, 'ws2') });
    expect(s.status).toBe('completed');
    expect(readExperiment(s.dir)!.dataset).toEqual(a);
    expect(s.dataset!.source).toBe(a.source);
    expect(s.dataset!.videos).toBeUndefined();
  }, 90_000);

  it('a cancelled two-video run resumes on both videos and ends as the uninterrupted run does', async () => {
    const cfg = { ...base, epochs: 3 };
    const whole = await runExperiment({ dataset: [a, b], base: cfg, axes: {}, workspace: join(dir, 'ws3') });
    const ac = new AbortController();
    const cut = await runExperiment({
      dataset: [a, b], base: cfg, axes: {}, workspace: join(dir, 'ws4'), signal: ac.signal,
      onEvent: (e) => {
        if (e.type === 'run-event' && e.event.type === 'checkpoint') ac.abort();
      },
    });
    expect(cut.runs[0].status).toBe('cancelled');
    const res = await resumeRun(cut.runs[0].dir!);
    expect(res.status).toBe('completed');
    expect(res.epochs).toBe(3);
    expect(res.val!.model.maeDeg).toBeCloseTo(whole.runs[0].result!.val!.model.maeDeg, 4);
    expect(res.val!.zero.n).toBe(whole.runs[0].result!.val!.zero.n);
  }, 120_000);
});
