/**
 * `steerlab demo` end to end through the real CLI, reduced to seconds: a
 * 400-frame demo drive, 16x48 input, one epoch of 3 steps per run, wasm.
 * Checks that it synthesises the drive, compares the heads, prints one JSON
 * object (or the table and conclusions), writes a self-contained HTML report,
 * and reuses the drive on the next call.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonOutput, runCliSync } from '../helpers/cli.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'steerlab-cli-demo-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const steerlab = (args: string[]) => runCliSync(args, { cwd: dir, env: { STEERLAB_ENGINE: 'wasm' } });

const TINY = ['--frames', '400', '--epochs', '1', '--steps-per-epoch', '3', '--input', '16x48', '--targets', 'normalized', '--workspace', 'ws'];

describe('steerlab demo', () => {
  it('synthesises the drive, compares the heads, prints one JSON object and writes the report; a second demo reuses the drive', () => {
    const r = steerlab(['demo', ...TINY, '--heads', 'linear,tanh', '--json']);
    const out = jsonOutput(r);
    expect(out.status).toBe('completed');
    expect(out.engine).toBe('wasm');
    expect(out.runs.map((x: { head: string; targets: string }) => `${x.head}/${x.targets}`)).toEqual(['linear/normalized', 'tanh/normalized']);
    for (const run of out.runs) {
      for (const k of ['valMaeDeg', 'valRmseDeg', 'baselineZeroMaeDeg', 'baselineMeanMaeDeg']) expect(Number.isFinite(run[k])).toBe(true);
      expect(run.epochs).toBe(1);
      expect(run.engine).toBe('wasm');
      for (const f of run.findings) expect(typeof f).toBe('string');
      expect(existsSync(join(run.dir, 'model', 'model.json'))).toBe(true);
    }
    // The drive went into the workspace at the demo's size, with the frames asked for.
    const drive = join(dir, 'ws', 'data', 'demo-drive-160x320-20hz-400f-seed1');
    expect(out.dataset.source).toBe(join(drive, 'synth.mp4'));
    expect(out.dataset.frames).toBe(400);
    expect(readFileSync(join(drive, 'labels.csv'), 'utf8').trim().split('\n')).toHaveLength(401);
    // The report is one file: charts inline, no external script or stylesheet.
    const html = readFileSync(out.report.html, 'utf8');
    expect(html).toContain('<canvas');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
    expect(Array.isArray(out.conclusions) && out.conclusions.length > 0).toBe(true);

    const videoMtime = statSync(join(drive, 'synth.mp4')).mtimeMs;
    const again = steerlab(['demo', ...TINY, '--heads', 'linear']);
    expect(again.code).toBe(0);
    expect(again.stderr).not.toContain('synthesising the demo drive');
    expect(statSync(join(drive, 'synth.mp4')).mtimeMs).toBe(videoMtime);
    // People get the table, the conclusions and where the report is.
    expect(again.stdout).toContain('| run | head | targets | val MAE | val RMSE |');
    expect(again.stdout).toContain('### Conclusions');
    expect(again.stdout).toMatch(/report: +\S+report\.html/);
  }, 120_000);

  it('rejects an unknown target transform with one line and a non-zero exit', () => {
    const r = steerlab(['demo', '--targets', 'raw,log', '--workspace', 'ws']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain("unknown targets 'log'");
  });
});
