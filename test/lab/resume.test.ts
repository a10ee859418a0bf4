/**
 * Finishing an interrupted experiment (lab/resume.ts, `compare --resume`):
 * only the cells without a result train, a cell with a checkpoint continues
 * from it, the numbers equal the uninterrupted experiment's, and the record
 * reads completed only once every cell has a result.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { readExperiment } from '../../src/experiments/store.ts';
import { createLab, resumeExperiment, runExperiment } from '../../src/lab/index.ts';
import { synthesizeDrive } from '../../src/synth/index.ts';
import { useKernelVariant } from '../../src/engine/wasm-module.ts';
import type { DatasetSpec } from '../../src/video/types.ts';
import { jsonOutput, runCliSync } from '../helpers/cli.ts';

let dir: string;
let dataset: DatasetSpec;
const base = { name: 'tiny', epochs: 2, batchSize: 16, maxStepsPerEpoch: 3, logEvery: 2, engine: 'wasm' as const, model: { input: { height: 16, width: 48 } } };
const axes = { 'model.head': ['linear', 'tanh'] };
const maes = (s: { runs: { result: { val: { model: { maeDeg: number } } | null } | null }[] }): number[] => s.runs.map((r) => r.result!.val!.model.maeDeg);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'steerlab-resume-'));
  const d = await synthesizeDrive(join(dir, 'drive'), { frames: 160, width: 64, height: 32, fps: 5, seed: 4 });
  dataset = { source: d.videoPath, labels: d.labelsPath, input: { width: 48, height: 16 } };
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('resuming an experiment', () => {
  it('continues the cancelled cell from its checkpoint, runs the skipped one, and ends as the uninterrupted experiment', async () => {
    const whole = await runExperiment({ dataset, base, axes, workspace: join(dir, 'ws-whole'), workers: 1 });
    const ac = new AbortController();
    const cut = await runExperiment({
      dataset, base, axes, workspace: join(dir, 'ws-cut'), workers: 1, signal: ac.signal,
      onEvent: (e) => {
        if (e.type === 'run-event' && e.event.type === 'checkpoint') ac.abort();
      },
    });
    expect(cut.runs.map((r) => r.status)).toEqual(['cancelled', 'skipped']);
    expect(readExperiment(cut.dir)!.status).toBe('cancelled');

    const { summary, resumed } = await resumeExperiment(cut.dir, {});
    expect(resumed).toBe(2);
    expect(summary.status).toBe('completed');
    // The first cell kept its run folder (continued from its checkpoint); the second got one.
    expect(summary.runs[0].runId).toBe(cut.runs[0].runId);
    expect(summary.runs[1].runId).not.toBeNull();
    const rec = readExperiment(cut.dir)!;
    expect(rec.status).toBe('completed');
    expect(rec.runs.map((r) => r.status)).toEqual(['completed', 'completed']);
    const [a, b] = maes(summary);
    const [wa, wb] = maes(whole);
    expect(a).toBeCloseTo(wa, 4);
    expect(b).toBeCloseTo(wb, 4);
  }, 120_000);

  it('resuming a checkpoint of the other kernel build says so (its numbers cannot equal an uninterrupted run\'s), and the result records the build', async () => {
    const one = { 'model.head': ['linear'] };
    const ac = new AbortController();
    useKernelVariant('plain');
    try {
      const cut = await runExperiment({
        dataset, base, axes: one, workspace: join(dir, 'ws-kernels'), workers: 1, signal: ac.signal,
        onEvent: (e) => {
          if (e.type === 'run-event' && e.event.type === 'checkpoint') ac.abort();
        },
      });
      expect(cut.runs.map((r) => r.status)).toEqual(['cancelled']);
      useKernelVariant('fma');
      const warnings: (string | null)[] = [];
      const { summary } = await resumeExperiment(cut.dir, {
        onEvent: (e) => {
          if (e.type === 'run-event' && e.event.type === 'resumed') warnings.push(e.event.warning);
        },
      });
      expect(summary.status).toBe('completed');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/computed with the plain kernel build and this process runs fma.*STEERLAB_WASM_KERNELS=plain/);
      expect(summary.runs[0].result!.kernels).toBe('fma');
    } finally {
      useKernelVariant(null);
    }
  }, 120_000);

  it('`compare --resume ID` finishes the cell without a result and writes the comparison', async () => {
    const ws = join(dir, 'ws-cli');
    const ac = new AbortController();
    // Cancelled right after the first run finished: the second cell has no result.
    const cut = await runExperiment({
      dataset, base, axes, workspace: ws, workers: 1, signal: ac.signal,
      onEvent: (e) => {
        if (e.type === 'run-finished') ac.abort();
      },
    });
    expect(cut.runs.map((r) => r.status)).toEqual(['completed', 'skipped']);
    const out = jsonOutput(runCliSync(['compare', '--resume', basename(cut.dir), '--workspace', ws, '--json'], { cwd: dir }));
    expect(out.status).toBe('completed');
    expect(out.dir).toBe(cut.dir);
    expect(out.runs).toHaveLength(2);
    expect(out.runs.every((r: { status: string }) => r.status === 'completed')).toBe(true);
    // The finished cell was left as it was.
    expect(out.runs.map((r: { runId: string }) => r.runId)).toContain(cut.runs[0].runId);
    expect(readExperiment(cut.dir)!.status).toBe('completed');
    // Nothing left to do: a second resume trains nothing and writes the comparison again.
    const again = runCliSync(['compare', '--resume', cut.dir, '--workspace', ws, '--json'], { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/already has a result/);
    const missing = runCliSync(['compare', '--resume', 'no-such-experiment', '--workspace', ws], { cwd: dir });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/neither an experiment folder/);
  }, 150_000);
});

describe('the lab runs one experiment at a time', () => {
  it('says what is running (with its events so far), refuses a second start, and cancels', async () => {
    const lab = createLab({ workspace: join(dir, 'ws-lab') });
    let sawRun!: () => void;
    const runStarted = new Promise<void>((r) => (sawRun = r));
    const first = await lab.experiments.start({
      dataset, base: { ...base, epochs: 3, maxStepsPerEpoch: 0 }, axes, workers: 1,
      onEvent: (e) => {
        if (e.type === 'run-event' && e.event.type === 'step') sawRun();
      },
    });
    await runStarted;
    const running = lab.experiments.running();
    expect(running).toHaveLength(1);
    expect(running[0].experimentId).toBe(first.experimentId);
    expect(running[0].runIds).toHaveLength(1);
    expect(running[0].events[0].type).toBe('experiment-started');
    expect(running[0].events.some((e) => e.type === 'run-started')).toBe(true);
    await expect(lab.experiments.start({ dataset, base, axes })).rejects.toThrow(UserError);
    await expect(lab.experiments.start({ dataset, base, axes })).rejects.toThrow(new RegExp(`${first.experimentId} is still running`));
    expect(await lab.experiments.cancel(first.experimentId)).toBe(true);
    expect((await first.done).status).toBe('cancelled');
    expect(lab.experiments.running()).toEqual([]);
    expect(await lab.experiments.cancel(first.experimentId)).toBe(false);
    expect(lab.experiments.list().map((x) => x.record.id)).toContain(first.experimentId);
  }, 120_000);
});
