/**
 * Several videos through the real CLI: `--video a --labels a --video b
 * --labels b` (paired by order) for compare, the config file's data lists for
 * train, several sources for inspect, and the one-line error when the counts
 * do not pair. Tiny synthetic drives, 16x48 input, wasm engine, few steps.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliSync } from '../helpers/cli.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesizeDrive } from '../../src/synth/index.ts';

let dir: string;
let a: { videoPath: string; labelsPath: string };
let b: { videoPath: string; labelsPath: string };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'steerlab-cli-multi-'));
  a = await synthesizeDrive(join(dir, 'a'), { frames: 100, width: 64, height: 32, fps: 5, seed: 4 });
  b = await synthesizeDrive(join(dir, 'b'), { frames: 70, width: 64, height: 32, fps: 5, seed: 9 });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const steerlab = (args: string[]) => runCliSync(args, { cwd: dir, env: { STEERLAB_ENGINE: 'wasm' } });

const tiny = ['--input', '16x48', '--epochs', '1', '--steps-per-epoch', '3', '--batch-size', '16', '--seed', '1', '--engine', 'wasm'];

describe('several videos on the command line', () => {
  it('compare trains on both videos paired with their labels and --json says which were used', () => {
    const ws = join(dir, 'ws1');
    const r = steerlab([
      'compare', '--video', a.videoPath, '--labels', a.labelsPath, '--video', b.videoPath, '--labels', b.labelsPath,
      '--heads', 'linear', '--targets', 'normalized', ...tiny, '--workspace', ws, '--json',
    ]);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout.trim());
    expect(out.status).toBe('completed');
    expect(out.videos).toEqual([
      { source: a.videoPath, labels: a.labelsPath, samples: 100 },
      { source: b.videoPath, labels: b.labelsPath, samples: 70 },
    ]);
    expect(out.dataset.samples).toBe(170);
    expect(out.runs).toHaveLength(1);
    expect(Number.isFinite(out.runs[0].valMaeDeg)).toBe(true);
    const rec = JSON.parse(readFileSync(join(out.dir, 'experiment.json'), 'utf8'));
    expect(rec.dataset.videos.map((s: { source: string; labels: string }) => [s.source, s.labels])).toEqual([[a.videoPath, a.labelsPath], [b.videoPath, b.labelsPath]]);
  }, 120_000);

  it('one video keeps the --json shape it had, with videos naming that one', () => {
    const r = steerlab(['compare', '--video', a.videoPath, '--labels', a.labelsPath, '--heads', 'linear', '--targets', 'raw', ...tiny, '--workspace', join(dir, 'ws2'), '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout.trim());
    expect(out.dataset.source).toBe(a.videoPath);
    expect(out.dataset.videos).toBeUndefined();
    expect(out.videos).toEqual([{ source: a.videoPath, labels: a.labelsPath, samples: 100 }]);
  }, 120_000);

  it('train --config takes lists of videos and labels in its data section', () => {
    const cfg = join(dir, 'two.json');
    writeFileSync(cfg, JSON.stringify({ name: 'two', data: { video: [a.videoPath, b.videoPath], labels: [a.labelsPath, b.labelsPath] } }));
    const r = steerlab(['train', '--config', cfg, ...tiny, '--workspace', join(dir, 'ws3'), '--json']);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout.trim());
    expect(out.videos.map((v: { source: string }) => v.source)).toEqual([a.videoPath, b.videoPath]);
    expect(out.dataset.videos.map((v: { samples: number }) => v.samples)).toEqual([100, 70]);
  }, 120_000);

  it('videos and labels that do not pair up are one line saying how to pair them', () => {
    for (const cmd of ['compare', 'train']) {
      const r = steerlab([cmd, '--video', a.videoPath, '--labels', a.labelsPath, '--video', b.videoPath, '--workspace', join(dir, 'ws4')]);
      expect(r.code, cmd).not.toBe(0);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines, cmd).toHaveLength(1);
      expect(lines[0]).toMatch(/2 video\(s\) and 1 label file\(s\).*paired by order.*--video a\.mp4 --labels a\.csv --video b\.mp4 --labels b\.csv/);
    }
  }, 60_000);

  it('inspect of two sources shows each and the totals; --json stays one object', () => {
    const r = steerlab(['inspect', a.videoPath, b.videoPath, '--labels', a.labelsPath, '--labels', b.labelsPath, '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout.trim());
    expect(out.sources).toEqual([a.videoPath, b.videoPath]);
    expect(out.videos.map((v: { video: { frames: number } }) => v.video.frames)).toEqual([100, 70]);
    expect(out.videos.map((v: { labels: { path: string } }) => v.labels.path)).toEqual([a.labelsPath, b.labelsPath]);
    expect(out.totals).toMatchObject({ videos: 2, frames: 170, matched: out.videos[0].alignment.matched + out.videos[1].alignment.matched });
    const bad = steerlab(['inspect', a.videoPath, b.videoPath, '--labels', a.labelsPath]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/paired by order/);
  }, 60_000);
});
