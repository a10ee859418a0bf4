/**
 * The autonomy estimate's flags (src/cli/autonomy-flags.ts) through the real
 * CLI: listed with their units in --help of every command that reports
 * autonomy, a bad value is one line naming the flag before anything starts,
 * and on a tiny `compare` the flags reach the estimate, win over the config
 * file's "autonomy" section and leave the settings they do not name as the
 * file or the defaults say.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesizeDrive } from '../../src/synth/index.ts';
import { jsonOutput, runCli } from '../helpers/cli.ts';

let dir: string;
let drive: { videoPath: string; labelsPath: string };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'steerlab-cli-autonomy-'));
  // 200 frames at 5 Hz = 40 s of road with bends; enough validation frames to drive on.
  drive = await synthesizeDrive(join(dir, 'drive'), { frames: 200, width: 96, height: 48, fps: 5, seed: 4 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const steerlab = (args: string[]) => runCli(args, { cwd: dir, env: { STEERLAB_ENGINE: 'wasm' } });

describe('autonomy flags', () => {
  it('are listed with their units by train, compare and demo --help', async () => {
    for (const command of ['train', 'compare', 'demo']) {
      const r = await steerlab([command, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/--autonomy-threshold <m>/);
      expect(r.stdout).toMatch(/--autonomy-speed <m\/s>/);
      expect(r.stdout).toMatch(/--autonomy-steering-ratio <ratio>/);
      expect(r.stdout).toMatch(/--autonomy-wheelbase <m>/);
      expect(r.stdout).toMatch(/--autonomy-intervention-cost <s>/);
      expect(r.stdout).toMatch(/--autonomy-max-gap <s>/);
      // the defaults, with their units (help text wraps, so spaces are any whitespace)
      const help = r.stdout.replace(/\s+/g, ' ');
      expect(help).toContain('(default 1 m)');
      expect(help).toContain('(default 15 m/s = 54 km/h)');
      expect(help).toContain('(default 2.7 m)');
      expect(help).toContain('(default 6 s, PilotNet\'s)');
      expect(help).toContain('(default 0.5 s)');
    }
  }, 60_000);

  it('refuse a bad value with one line naming the flag, before reading any data', async () => {
    const cases: [string[], RegExp][] = [
      [['compare', '--autonomy-threshold', '0'], /^steerlab: --autonomy-threshold must be a positive number of metres \(got '0'\)$/],
      [['train', '--autonomy-speed', 'fast'], /^steerlab: --autonomy-speed must be a positive number of metres per second \(got 'fast'\)$/],
      [['compare', '--autonomy-intervention-cost=-1'], /^steerlab: --autonomy-intervention-cost must be a non-negative number of seconds \(got '-1'\)$/],
      [['demo', '--autonomy-wheelbase', 'Infinity'], /^steerlab: --autonomy-wheelbase must be a positive number of metres \(got 'Infinity'\)$/],
    ];
    for (const [args, message] of cases) {
      // No --video: a flag check that came after the data would fail on the missing video instead.
      const r = await steerlab([...args, '--workspace', join(dir, 'bad-ws')]);
      expect(r.code).not.toBe(0);
      expect(r.code).not.toBe(70); // not an internal error
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(message);
    }
  }, 60_000);

  it('reach the estimate of a compare run, over the config file\'s autonomy section', async () => {
    writeFileSync(join(dir, 'base.json'), JSON.stringify({ name: 'tiny', autonomy: { thresholdM: 2, wheelbaseM: 3 }, data: { crop: { top: 18, bottom: 0, left: 0, right: 0 } } }));
    const r = await steerlab([
      'compare', '--video', drive.videoPath, '--labels', drive.labelsPath, '--heads', 'linear', '--targets', 'normalized', '--config', join(dir, 'base.json'),
      '--input', '16x48', '--epochs', '1', '--batch-size', '16', '--steps-per-epoch', '3', '--seed', '1', '--engine', 'wasm', '--workspace', join(dir, 'ws'),
      '--autonomy-threshold', '0.05', '--autonomy-intervention-cost', '2.5', '--autonomy-speed', '9', '--json',
    ]);
    const out = jsonOutput(r);
    expect(out.status).toBe('completed');
    expect(out.runs).toHaveLength(1);
    const result = JSON.parse(readFileSync(join(out.runs[0].dir, 'result.json'), 'utf8'));
    const a = result.val.autonomy;
    // flags win over the file (threshold), the file wins over the defaults (wheelbase), the rest are the defaults
    expect(a.settings).toEqual({ thresholdM: 0.05, wheelbaseM: 3, interventionCostS: 2.5, defaultSpeedMps: 9, steeringRatio: 15, maxStepS: 0.5 });
    // the estimate used them: the synthetic drive's labels carry no speed, so the car drives at --autonomy-speed,
    expect(a.speedFromLabels).toBe(false);
    expect(a.model.distanceKm * 1000).toBeCloseTo(9 * a.model.elapsedS, 6);
    // and each intervention costs --autonomy-intervention-cost seconds
    expect(a.model.interventions).toBeGreaterThan(0);
    expect(a.model.autonomyPct).toBeCloseTo(Math.max(0, 100 * (1 - (a.model.interventions * 2.5) / a.model.elapsedS)), 9);
    expect(out.runs[0].autonomyPct).toBeCloseTo(a.model.autonomyPct, 9);
  }, 120_000);
});
