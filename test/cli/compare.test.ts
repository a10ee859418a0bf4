/**
 * A reduced end-to-end `steerlab compare` through the real CLI on a tiny
 * synthetic drive: tiny input (16x48), wasm engine, few steps, two runs.
 * Checks the --json shape and that a linear head on normalised targets
 * beats the zero predictor's MAE.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonOutput, runSteerlab } from './helpers.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesizeDrive } from '../../src/synth/index.ts';

let dir: string;
let drive: { videoPath: string; labelsPath: string };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'steerlab-cli-compare-'));
  // 400 frames at 5 Hz = 80 s of road with left and right bends (about -77..+143 degrees at the wheel).
  drive = await synthesizeDrive(join(dir, 'drive'), { frames: 400, width: 96, height: 48, fps: 5, seed: 4 });
  // The base config comes from a file (as `steerlab train` uses it): sky cropped off, as in the demo.
  writeFileSync(join(dir, 'base.json'), JSON.stringify({ name: 'tiny', optimizer: { learningRate: 0.001 }, data: { crop: { top: 18, bottom: 0, left: 0, right: 0 } } }));
});

const steerlab = (args: string[]) => runSteerlab(dir, args, { env: { STEERLAB_ENGINE: 'wasm' } });

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
      expect(run.head).toBe('linear');
      expect(run.epochs).toBe(6);
      expect(run.engine).toBe('wasm');
      expect(Array.isArray(run.findings)).toBe(true);
      for (const f of run.findings) expect(typeof f).toBe('string');
      // every run of an experiment is validated on the same samples
      expect(run.baselineZeroMaeDeg).toBe(out.runs[0].baselineZeroMaeDeg);
      expect(existsSync(join(run.dir, 'result.json'))).toBe(true);
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
