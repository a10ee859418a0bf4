import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labelsCsv, simulate } from '../../src/synth/index.ts';
import { tempDir } from '../video/fixtures.ts';
import { runCli } from '../helpers/cli.ts';

describe('steerlab synth', () => {
  it('--json prints one JSON object and writes synth.mp4 + labels.csv (same bytes as the library for that seed)', async () => {
    const out = join(tempDir('steerlab-cli-'), 'my drive é');
    const r = await runCli(['synth', '--out', out, '--frames', '120', '--seed', '4', '--size', '32x64', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/deprecated/);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ frames: 120, width: 64, height: 32, fps: 20, seed: 4, videoPath: join(out, 'synth.mp4'), labelsPath: join(out, 'labels.csv') });
    expect(typeof j.minDeg).toBe('number');
    expect(existsSync(j.videoPath)).toBe(true);
    expect(readFileSync(j.labelsPath, 'utf8')).toBe(labelsCsv(simulate({ frames: 120, fps: 20, seed: 4 }), 20));
  });

  it('a bad --size is one line on stderr and a non-zero exit', async () => {
    const r = await runCli(['synth', '--out', tempDir('steerlab-cli-'), '--size', '64by32']);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--size expects HEIGHTxWIDTH/);
    expect(r.stdout).toBe('');
  });

  it('--size in the old WIDTHxHEIGHT form (taller than wide as HxW) still works, with a deprecation line', async () => {
    const r = await runCli(['synth', '--out', tempDir('steerlab-cli-'), '--frames', '4', '--size', '64x32', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ width: 64, height: 32 });
    expect(r.stderr).toMatch(/^deprecated: --size 64x32 is read as the old WIDTHxHEIGHT form .* write --size 32x64$/m);
  });
});
