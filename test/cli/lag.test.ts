import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../src/rng.ts';
import { createRenderer } from '../../src/synth/render.ts';
import { simulateDrive } from '../../src/synth/road.ts';
import { encodeRawVideo } from '../../src/video/encode.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../video/fixtures.ts';

/** labels.csv of the synthetic drive as time-keyed labels whose times read `shiftMs` late. */
function shiftedLabels(labelsCsv: string, shiftMs: number): string {
  const rows = labelsCsv.trim().split('\n').slice(1).map((l) => l.split(','));
  return ['timestamp_s,steering_deg', ...rows.map(([, t, deg]) => `${(Number(t) + shiftMs / 1000).toFixed(6)},${deg}`)].join('\n') + '\n';
}

describe('steerlab lag', () => {
  const dir = tempDir('steerlab-lag-');
  const ws = join(dir, 'ws');
  const drive = join(dir, 'drive');
  const env = { STEERLAB_WORKSPACE: ws };

  beforeAll(async () => {
    const r = await runCli(['synth', '--out', drive, '--frames', '1200', '--scenery', '--json']);
    expect(r.code).toBe(0);
    const csv = readFileSync(join(drive, 'labels.csv'), 'utf8');
    writeFileSync(join(dir, 'late300.csv'), shiftedLabels(csv, 300));
    writeFileSync(join(dir, 'early500.csv'), shiftedLabels(csv, -500));
  }, 120_000);

  it('recovers labels shifted by +300 ms and -500 ms within 50 ms, as the --offset-ms that undoes them', async () => {
    for (const [file, want] of [['late300.csv', -300], ['early500.csv', 500]] as const) {
      const r = await runCli(['lag', '--video', join(drive, 'synth.mp4'), '--labels', join(dir, file), '--json'], { env });
      expect(r.code, r.stderr).toBe(0);
      const j = JSON.parse(r.stdout);
      expect(Math.abs(j.offsetMs - want)).toBeLessThanOrEqual(50);
      expect(j.evidence).toBe('good');
      expect(j.suggestedFlag).toBe(`--offset-ms ${j.offsetMs}`);
      expect(j.curve.length).toBeGreaterThan(100);
      expect(j.curve[0]).toEqual({ offsetMs: -1000, score: expect.any(Number) });
    }
  }, 120_000);

  it('says about 0 for the aligned labels, in words and in JSON', async () => {
    const args = ['lag', '--video', join(drive, 'synth.mp4'), '--labels', join(drive, 'labels.csv')];
    const r = await runCli([...args, '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Math.abs(j.offsetMs)).toBeLessThanOrEqual(50);
    expect(j.inStep).toBe(true);
    expect(j.suggestedFlag).toBe('--offset-ms 0');
    const text = await runCli(args, { env });
    expect(text.stdout).toMatch(/^lag {8}in step: best offset -?\d+ ms/m);
    expect(text.stdout).toMatch(/^confidence 0\.\d\d \(good\)/m);
  }, 120_000);

  it('inspect --lag shows the same estimate in its JSON and its lines', async () => {
    const args = ['inspect', join(drive, 'synth.mp4'), '--labels', join(dir, 'late300.csv'), '--no-crop-suggestion', '--lag'];
    const j = JSON.parse((await runCli([...args, '--json'], { env })).stdout);
    expect(Math.abs(j.lag.offsetMs + 300)).toBeLessThanOrEqual(50);
    expect((await runCli(args, { env })).stdout).toMatch(/^lag {8}add -\d+ ms to the label times: --offset-ms -\d+$/m);
  }, 120_000);

  it('a still picture is one line on stderr saying there is no motion to measure', async () => {
    const { profile, states } = simulateDrive(1, 20, 1);
    const frame = new Uint8Array(128 * 64 * 3);
    createRenderer(128, 64, 20, profile, createRng(3), { scenery: true }).render(0, states[0], frame);
    const still = join(dir, 'still.mp4');
    await encodeRawVideo(still, Array.from({ length: 200 }, () => frame), { width: 128, height: 64, fps: 20 });
    const r = await runCli(['lag', '--video', still, '--labels', join(drive, 'labels.csv')], { env });
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/no motion to measure/);
  }, 120_000);

  it('a drive without scenery gets "no evidence", not a made-up number', async () => {
    const plain = join(dir, 'plain');
    expect((await runCli(['synth', '--out', plain, '--frames', '600', '--size', '80x160'])).code).toBe(0);
    const r = await runCli(['lag', '--video', join(plain, 'synth.mp4'), '--labels', join(plain, 'labels.csv'), '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ offsetMs: null, evidence: 'none', confidence: 0, suggestedFlag: null });
  }, 120_000);

  it('a bad flag is one line before anything is decoded', async () => {
    const r = await runCli(['lag', '--video', join(drive, 'synth.mp4'), '--labels', join(drive, 'labels.csv'), '--band', '0.5,0.2'], { env });
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--band expects TOP,BOTTOM/);
  });
});
