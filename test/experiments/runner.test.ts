/**
 * runExperiment on a tiny synthetic drive (wasm engine, 16x48 input, one
 * short epoch per run): the event sequence, the store it leaves, and
 * cancellation (current run recorded as cancelled, the rest skipped).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { ExperimentEvent } from '../../src/experiments/events.ts';
import { resumeRun, runExperiment } from '../../src/lab/index.ts';
import { listRuns, readExperiment, readRun } from '../../src/experiments/store.ts';
import { synthesizeDrive } from '../../src/synth/index.ts';
import type { DatasetSpec } from '../../src/video/types.ts';

let dir: string;
let dataset: DatasetSpec;
const base = { name: 'tiny', epochs: 1, batchSize: 16, maxStepsPerEpoch: 4, logEvery: 2, engine: 'wasm' as const, model: { input: { height: 16, width: 48 } } };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'steerlab-runner-'));
  const d = await synthesizeDrive(join(dir, 'drive'), { frames: 200, width: 64, height: 32, fps: 5, seed: 4 });
  dataset = { source: d.videoPath, labels: d.labelsPath, input: { width: 48, height: 16 } };
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('runExperiment', () => {
  it('runs every cell on the same split and records each run, result.json last', async () => {
    const events: ExperimentEvent[] = [];
    const ws = join(dir, 'ws1');
    const s = await runExperiment({
      dataset, base, axes: { 'model.head': ['linear', 'tanh'], 'targets.kind': ['normalized'] }, workspace: ws,
      onEvent: (e) => events.push(ExperimentEvent.parse(e)),
    });
    expect(s.status).toBe('completed');
    expect(s.engine).toBe('wasm');
    expect(s.runs.map((r) => [r.cell['model.head'], r.status])).toEqual([['linear', 'completed'], ['tanh', 'completed']]);
    const kinds = events.map((e) => e.type).filter((t) => t !== 'run-event' && t !== 'progress' && t !== 'dataset-progress');
    expect(kinds).toEqual(['experiment-started', 'dataset-ready', 'run-started', 'run-finished', 'run-started', 'run-finished', 'experiment-finished']);
    expect(events.some((e) => e.type === 'run-event' && e.event.type === 'epoch')).toBe(true);
    const progress = events.filter((e) => e.type === 'progress');
    expect(progress[progress.length - 1]).toMatchObject({ runsDone: 2, runsTotal: 2, fraction: 1 });

    // same validation samples for both runs: identical zero-predictor metrics
    const [a, b] = s.runs.map((r) => r.result!);
    expect(a.val!.zero).toEqual(b.val!.zero);

    const rec = readExperiment(s.dir)!;
    expect(rec.status).toBe('completed');
    expect(rec.datasetSummary!.samples).toBe(200);
    expect(rec.datasetSummary!.valBlocks.length).toBe(4);
    for (const r of listRuns(ws)) {
      expect(r.state).toBe('complete');
      for (const f of ['config.json', 'run.json', 'metrics.jsonl', 'diagnostics.jsonl', 'val-predictions.json', 'model/model.json', 'model/weights.bin', 'model/target-transform.json']) {
        expect(existsSync(join(r.dir, f)), f).toBe(true);
      }
      const vp = JSON.parse(readFileSync(join(r.dir, 'val-predictions.json'), 'utf8'));
      expect(vp.predDeg).toHaveLength(rec.datasetSummary!.valSamples);
      const tt = JSON.parse(readFileSync(join(r.dir, 'model', 'target-transform.json'), 'utf8'));
      // normalized: degrees = output * fullScale, fullScale = max |angle| of the training split
      expect(tt.degrees.offset).toBe(0);
      expect(tt.degrees.scale).toBeCloseTo(tt.params.fullScaleDeg ?? Object.values(tt.params)[0], 6);
    }
  }, 90_000);

  it('cancelling records the current run as cancelled and skips the rest', async () => {
    const ac = new AbortController();
    const ws = join(dir, 'ws2');
    const s = await runExperiment({
      dataset, base: { ...base, maxStepsPerEpoch: 0, epochs: 3 }, axes: { 'model.head': ['linear', 'tanh'] }, workspace: ws, signal: ac.signal,
      onEvent: (e) => {
        if (e.type === 'run-event' && e.event.type === 'step') ac.abort();
      },
    });
    expect(s.status).toBe('cancelled');
    expect(s.runs.map((r) => r.status)).toEqual(['cancelled', 'skipped']);
    expect(s.runs[1].runId).toBeNull();
    const run = readRun(s.runs[0].dir!);
    expect(run.state).toBe('complete');
    expect(run.result!.status).toBe('cancelled');
    expect(readExperiment(s.dir)!.runs.map((r) => r.status)).toEqual(['cancelled', 'skipped']);
  }, 90_000);

  it('a cancelled run resumes from its last epoch checkpoint and ends as the uninterrupted run does', async () => {
    const cfg = { ...base, epochs: 3 };
    const whole = await runExperiment({ dataset, base: cfg, axes: {}, workspace: join(dir, 'ws4') });
    const ac = new AbortController();
    const cut = await runExperiment({
      dataset, base: cfg, axes: {}, workspace: join(dir, 'ws5'), signal: ac.signal,
      onEvent: (e) => {
        if (e.type === 'run-event' && e.event.type === 'checkpoint') ac.abort();
      },
    });
    expect(cut.runs[0].status).toBe('cancelled');
    expect(cut.runs[0].result!.epochs).toBe(1); // the first epoch ended (and was checkpointed) before the abort
    const res = await resumeRun(cut.runs[0].dir!);
    expect(res.status).toBe('completed');
    expect(res.epochs).toBe(3);
    expect(res.val!.model.maeDeg).toBeCloseTo(whole.runs[0].result!.val!.model.maeDeg, 4);
    expect(readRun(cut.runs[0].dir!).result!.status).toBe('completed');
    expect(readExperiment(cut.dir)!.runs[0].status).toBe('completed');
    // Its only cell has a result now, so the experiment is completed (and says so).
    expect(readExperiment(cut.dir)!.status).toBe('completed');
    await expect(resumeRun(cut.runs[0].dir!)).rejects.toThrow(/already finished/);
  }, 90_000);

  it('an experiment is completed only when every cell has a result: resuming one run of two leaves it cancelled', async () => {
    const ac = new AbortController();
    const cut = await runExperiment({
      dataset, base: { ...base, epochs: 2 }, axes: { 'model.head': ['linear', 'tanh'] }, workspace: join(dir, 'ws-settled'), signal: ac.signal,
      onEvent: (e) => {
        if (e.type === 'run-event' && e.event.type === 'checkpoint') ac.abort();
      },
    });
    expect(cut.runs.map((r) => r.status)).toEqual(['cancelled', 'skipped']);
    expect((await resumeRun(cut.runs[0].dir!)).status).toBe('completed');
    const rec = readExperiment(cut.dir)!;
    expect(rec.runs.map((r) => r.status)).toEqual(['completed', 'skipped']);
    expect(rec.status).toBe('cancelled');
  }, 90_000);

  it('leaves no tfjs tensor behind: a long session (server, app) runs experiment after experiment', async () => {
    const tf = await import('@tensorflow/tfjs-core');
    const ws = join(dir, 'ws-mem');
    const axes = { 'model.head': ['linear', 'tanh'] };
    await runExperiment({ dataset, base, axes, workspace: ws }); // warm-up: engine and kernels set up once
    const before = tf.memory();
    await runExperiment({ dataset, base, axes, workspace: ws });
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
  }, 60_000);

  it('an unknown config path fails before anything is written', async () => {
    const ws = join(dir, 'ws3');
    await expect(runExperiment({ dataset, base, axes: { 'model.heads': ['linear'] }, workspace: ws })).rejects.toThrow(UserError);
    expect(existsSync(join(ws, 'experiments'))).toBe(false);
  });

  it('a model that cannot be built (aux head after a missing layer) fails before anything is written', async () => {
    const ws = join(dir, 'ws6');
    const bad = { ...base, model: { ...base.model, auxHeads: [{ after: 'conv9', lossWeight: 0.2 }] } };
    await expect(runExperiment({ dataset, base: bad, axes: {}, workspace: ws })).rejects.toThrow(/model\.auxHeads\[0\]\.after 'conv9'/);
    expect(existsSync(join(ws, 'experiments'))).toBe(false);
    expect(existsSync(join(ws, 'runs'))).toBe(false);
  });
});
