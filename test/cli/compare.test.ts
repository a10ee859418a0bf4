/**
 * A reduced end-to-end `steerlab compare` through the real CLI on a tiny
 * synthetic drive: tiny input (16x48), wasm engine, few steps, two runs.
 * Checks the --json shape and that a linear head on normalised targets
 * beats the zero predictor's MAE.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonOutput, runCliSync } from '../helpers/cli.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesizeDrive } from '../../src/synth/index.ts';
import { findPython } from '../../src/reference/index.ts';

/** PyTorch runs where Debian's python3-torch is installed; CI installs it and requires it (STEERLAB_REQUIRE_REFERENCE=1). */
const torchPython = await findPython().catch((err) => {
  if (process.env.STEERLAB_REQUIRE_REFERENCE === '1') throw err;
  return null;
});
const hasTorch = () => torchPython !== null;

let dir: string;
let drive: { videoPath: string; labelsPath: string };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'steerlab-cli-compare-'));
  // 400 frames at 5 Hz = 80 s of road with left and right bends (about -77..+143 degrees at the wheel).
  drive = await synthesizeDrive(join(dir, 'drive'), { frames: 400, width: 96, height: 48, fps: 5, seed: 4 });
  // The base config comes from a file (as `steerlab train` uses it): sky cropped off, as in the demo.
  writeFileSync(join(dir, 'base.json'), JSON.stringify({ name: 'tiny', optimizer: { learningRate: 0.001 }, data: { crop: { top: 18, bottom: 0, left: 0, right: 0 } } }));
});

const steerlab = (args: string[]) => runCliSync(args, { cwd: dir, env: { STEERLAB_ENGINE: 'wasm' } });

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('steerlab compare --json', () => {
  it('prints one JSON object whose runs hold the numbers in degrees, and linear/normalized beats the zero predictor', () => {
    const ws = join(dir, 'ws');
    const r = steerlab([
      'compare', '--video', drive.videoPath, '--labels', drive.labelsPath, '--heads', 'linear', '--targets', 'normalized,raw',
      '--config', join(dir, 'base.json'), '--input', '16x48', '--epochs', '6', '--batch-size', '16', '--seed', '1', '--engine', 'wasm', '--workspace', ws, '--json',
    ]);
    const out = jsonOutput(r);
    expect(out.status).toBe('completed');
    expect(out.engine).toBe('wasm');
    expect(out.runs).toHaveLength(2);
    for (const run of out.runs) {
      for (const k of ['valMaeDeg', 'valRmseDeg', 'baselineZeroMaeDeg', 'baselineMeanMaeDeg']) expect(Number.isFinite(run[k])).toBe(true);
      // the open-loop autonomy estimate beside the zero and mean predictors' (test/experiments/compare-autonomy.test.ts checks its numbers)
      for (const k of ['autonomyPct', 'interventions', 'baselineZeroAutonomyPct', 'baselineMeanAutonomyPct']) expect(Number.isFinite(run[k])).toBe(true);
      expect(run.head).toBe('linear');
      expect(run.epochs).toBe(6);
      expect(run.engine).toBe('wasm');
      expect(Array.isArray(run.findings)).toBe(true);
      for (const f of run.findings) expect(typeof f).toBe('string');
      // every run of an experiment is validated on the same samples
      expect(run.baselineZeroMaeDeg).toBe(out.runs[0].baselineZeroMaeDeg);
      expect(existsSync(join(run.dir, 'result.json'))).toBe(true);
      // the wasm kernel build the run's numbers came from (Node 20 takes the fma build)
      expect(JSON.parse(readFileSync(join(run.dir, 'result.json'), 'utf8')).kernels).toBe('fma');
      expect(existsSync(join(run.dir, 'model', 'model.json'))).toBe(true);
      expect(existsSync(join(run.dir, 'model', 'weights.bin'))).toBe(true);
    }
    const [norm, raw] = out.runs;
    expect(norm.targets).toBe('normalized');
    expect(raw.targets).toBe('raw');
    expect(norm.valMaeDeg).toBeLessThan(norm.baselineZeroMaeDeg);
    // the target transform file turns model outputs back into degrees
    const tt = JSON.parse(readFileSync(join(norm.dir, 'model', 'target-transform.json'), 'utf8'));
    expect(tt.kind).toBe('normalized');
    expect(tt.degrees.scale).toBeGreaterThan(1);
    expect(tt.degrees.offset).toBe(0);
    expect(existsSync(out.report.html)).toBe(true);
    expect(Array.isArray(out.conclusions)).toBe(true);

    // `steerlab report` on the experiment folder prints the table and the report path
    const rep = steerlab(['report', out.dir]);
    expect(rep.code).toBe(0);
    expect(rep.stdout).toContain('| run | head | targets | val MAE | val RMSE |');
    expect(rep.stdout).toContain(`report: ${join(out.dir, 'report.html')}`);
  }, 120_000);

  it('--seeds runs every cell per seed on one split (--split-seed moves it, --seed does not), with cells, intervals and the PyTorch reference', () => {
    const base = ['compare', '--video', drive.videoPath, '--labels', drive.labelsPath, '--heads', 'linear', '--targets', 'normalized,raw', '--crop', '18,0,0,0',
      '--input', '16x48', '--epochs', '2', '--batch-size', '16', '--engine', 'wasm', '--json'];
    const torch = hasTorch();
    const out = jsonOutput(steerlab([...base, '--seeds', '2', '--seed', '3', '--workspace', join(dir, 'ws-seeds'), ...(torch ? ['--reference'] : [])]));
    expect(out.runs.map((r: { targets: string; seed: number; selection: string }) => [r.targets, r.seed, r.selection])).toEqual([
      ['normalized', 3, 'last-epoch'], ['normalized', 4, 'last-epoch'], ['raw', 3, 'last-epoch'], ['raw', 4, 'last-epoch'],
    ]);
    // every seed of every cell is validated on the same frames
    expect(new Set(out.runs.map((r: { baselineZeroRmseDeg: number }) => r.baselineZeroRmseDeg)).size).toBe(1);
    expect(out.cells.map((c: { head: string; targets: string; seeds: number[] }) => [c.head, c.targets, c.seeds])).toEqual([['linear', 'normalized', [3, 4]], ['linear', 'raw', [3, 4]]]);
    for (const c of out.cells) {
      expect(c.valRmseDeg.mean).toBeCloseTo((out.runs.filter((r: { targets: string }) => r.targets === c.targets).reduce((s: number, r: { valRmseDeg: number }) => s + r.valRmseDeg, 0)) / 2, 6);
      expect(c.valRmseDeg.sd).toBeGreaterThan(0);
      expect(typeof c.failed).toBe('boolean');
    }
    expect(out.differences).toHaveLength(1);
    const d = out.differences[0];
    expect([d.a, d.b, d.metric]).toEqual(['linear/normalized', 'linear/raw', 'rmse']);
    expect(d.ci95[0]).toBeLessThanOrEqual(d.ci95[1]);
    expect(['a-better', 'b-better', 'no-difference']).toContain(d.verdict);
    // the report and the Markdown table show the cells as mean ± sd
    expect(readFileSync(out.report.html, 'utf8')).toContain('Cells over seeds (validation error, mean ± sd)');
    expect(readFileSync(out.report.md, 'utf8')).toMatch(/\| linear\/normalized \| 3, 4 \| [\d.]+° ± [\d.]+° \|/);
    if (torch) {
      expect(out.reference.engine).toBe('pytorch');
      expect(out.reference.cells.map((c: { key: string; seeds: number[] }) => [c.key, c.seeds])).toEqual([['linear/normalized', [3, 4]], ['linear/raw', [3, 4]]]);
      for (const c of out.reference.cells) expect(Number.isFinite(c.valRmseDeg.mean)).toBe(true);
    }
    // The split has its own seed: another model seed keeps the validation blocks, another split seed moves them.
    const blocks = (o: Record<string, any>) => JSON.stringify(o.dataset.valBlocks);
    const sameSplit = jsonOutput(steerlab([...base.slice(0, 6), 'linear', '--targets', 'normalized', ...base.slice(9), '--seed', '9', '--steps-per-epoch', '1', '--workspace', join(dir, 'ws-seeds')]));
    expect(blocks(sameSplit)).toBe(blocks(out));
    const moved = jsonOutput(steerlab([...base.slice(0, 6), 'linear', '--targets', 'normalized', ...base.slice(9), '--split-seed', '2', '--steps-per-epoch', '1', '--workspace', join(dir, 'ws-seeds')]));
    expect(blocks(moved)).not.toBe(blocks(out));
  }, 240_000);

  it('a missing video is one line on stderr and a non-zero exit', () => {
    const r = steerlab(['compare', '--video', join(dir, 'nope.mp4'), '--json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('nope.mp4 does not exist');
  });

  it('rejects an unknown head name', () => {
    const r = steerlab(['compare', '--video', drive.videoPath, '--heads', 'linear,softmax']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown heads 'softmax'");
  });
});
