/**
 * runExperiment with gradient worker threads (wasm): the record names the
 * worker count, one pool serves a grid whose cells differ in the model,
 * the same seed and worker count give the same metrics, cancelling leaves no
 * worker thread behind, and configs that workers would change stay
 * in-process with the reason.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveWorkerCount } from '../../src/engine/parallel.ts';
import { resumeRun, runExperiment, type RunExperimentOptions } from '../../src/lab/index.ts';
import { readExperiment, readRun } from '../../src/experiments/store.ts';
import { synthesizeDrive } from '../../src/synth/index.ts';
import type { DatasetSpec } from '../../src/video/types.ts';

let dir: string;
let dataset: DatasetSpec;
const base = { name: 'tiny', epochs: 1, batchSize: 16, maxStepsPerEpoch: 4, logEvery: 2, engine: 'wasm' as const, model: { input: { height: 16, width: 48 }, widthMultiplier: 0.25 } };

/** Worker threads exit asynchronously after terminate(): wait for the count to reach 0. */
async function workersGone(timeoutMs = 10_000): Promise<number> {
  const t0 = Date.now();
  while (liveWorkerCount() > 0 && Date.now() - t0 < timeoutMs) await new Promise((r) => setTimeout(r, 50));
  return liveWorkerCount();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'steerlab-runner-workers-'));
  const d = await synthesizeDrive(join(dir, 'drive'), { frames: 200, width: 64, height: 32, fps: 5, seed: 4 });
  dataset = { source: d.videoPath, labels: d.labelsPath, input: { width: 48, height: 16 } };
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('runExperiment with worker threads', () => {
  it('one pool serves cells with different heads, records "wasm x2 workers", repeats its metrics, and stops its workers', async () => {
    const plans: { workers: number; engine: string; reason: string }[] = [];
    const opts = (ws: string): RunExperimentOptions => ({
      dataset, base, axes: { 'model.head': ['linear', 'tanh'] }, workspace: join(dir, ws), workers: 2,
      onWorkerPlan: (p) => plans.push(p),
    });
    const a = await runExperiment(opts('wsA'));
    expect(await workersGone()).toBe(0);
    expect(a.status).toBe('completed');
    expect(a.engine).toBe('wasm x2 workers');
    expect(readExperiment(a.dir)!.engine).toBe('wasm x2 workers');
    for (const r of a.runs) {
      expect(r.status).toBe('completed');
      expect(readRun(r.dir!).result!.engine).toBe('wasm x2 workers');
    }
    expect(plans.map((p) => p.workers)).toEqual([2, 2]);

    // Same seed, same worker count: the same numbers, run for run.
    const b = await runExperiment(opts('wsB'));
    expect(await workersGone()).toBe(0);
    const metrics = (s: typeof a) => s.runs.map((r) => [r.result!.val!.model.maeDeg, r.result!.val!.model.rmseDeg]);
    expect(metrics(b)).toEqual(metrics(a));
    // The two heads are different models (the pool rebuilt its models for the second cell, not reused the first).
    expect(metrics(a)[0]).not.toEqual(metrics(a)[1]);

    // In-process gives the same run up to float32 rounding of the averaged gradients.
    const c = await runExperiment({ ...opts('wsC'), workers: 1 });
    expect(c.engine).toBe('wasm');
    c.runs.forEach((r, i) => expect(r.result!.val!.model.maeDeg).toBeCloseTo(a.runs[i].result!.val!.model.maeDeg, 2));
  }, 180_000);

  it('cancelling mid-run records the run as cancelled and leaves no worker thread', async () => {
    const ac = new AbortController();
    const s = await runExperiment({
      dataset, base: { ...base, maxStepsPerEpoch: 0, epochs: 3 }, axes: { 'model.head': ['linear', 'tanh'] }, workspace: join(dir, 'wsCancel'),
      workers: 2, signal: ac.signal,
      onEvent: (e) => {
        if (e.type === 'run-event' && e.event.type === 'step' && e.event.step >= 2) ac.abort();
      },
    });
    expect(s.status).toBe('cancelled');
    expect(s.runs.map((r) => r.status)).toEqual(['cancelled', 'skipped']);
    expect(s.runs[0].result!.engine).toBe('wasm x2 workers');
    expect(await workersGone()).toBe(0);
  }, 120_000);

  it('a run cancelled with workers resumes with the same worker count and ends as the uninterrupted run', async () => {
    const cfg = { ...base, epochs: 2 };
    const whole = await runExperiment({ dataset, base: cfg, axes: {}, workspace: join(dir, 'wsR1'), workers: 2 });
    const ac = new AbortController();
    const cut = await runExperiment({
      dataset, base: cfg, axes: {}, workspace: join(dir, 'wsR2'), workers: 2, signal: ac.signal,
      onEvent: (e) => {
        if (e.type === 'run-event' && e.event.type === 'checkpoint') ac.abort();
      },
    });
    expect(cut.runs[0].status).toBe('cancelled');
    const res = await resumeRun(cut.runs[0].dir!);
    expect(res.status).toBe('completed');
    expect(res.engine).toBe('wasm x2 workers');
    expect(res.val!.model.maeDeg).toBeCloseTo(whole.runs[0].result!.val!.model.maeDeg, 5);
    expect(await workersGone()).toBe(0);
  }, 120_000);

  it('keeps batchnorm and dropout runs in-process, saying why, and auto keeps a tiny model in-process', async () => {
    const plans: { workers: number; reason: string }[] = [];
    const s = await runExperiment({
      dataset, base: { ...base, maxStepsPerEpoch: 1 }, axes: { 'model.batchnorm': [true, false], 'model.dropout': [0, 0.2] },
      workspace: join(dir, 'wsBn'), workers: 2, onWorkerPlan: (p) => plans.push(p),
    });
    expect(s.status).toBe('completed');
    expect(plans.map((p) => p.workers)).toEqual([1, 1, 2, 1]);
    expect(plans[0].reason).toMatch(/batchnorm/);
    expect(plans[3].reason).toMatch(/dropout/);
    expect(s.engine).toBe('wasm, wasm x2 workers');
    expect(await workersGone()).toBe(0);

    const auto: { workers: number; reason: string }[] = [];
    const t = await runExperiment({ dataset, base: { ...base, maxStepsPerEpoch: 1 }, axes: {}, workspace: join(dir, 'wsAuto'), onWorkerPlan: (p) => auto.push(p) });
    expect(t.engine).toBe('wasm');
    expect(auto[0].workers).toBe(1);
    expect(auto[0].reason).toMatch(/MFLOP forward per step is below/);
  }, 120_000);
});
