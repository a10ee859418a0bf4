import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthesizeDrive } from '../../src/synth/index.ts';
import { tempDir } from '../video/fixtures.ts';
import { runCli } from '../video/run-cli.ts';

const dir = tempDir('steerlab-cli-');
let video = '';
let labels = '';

beforeAll(async () => {
  const r = await synthesizeDrive(join(dir, 'drive'), { frames: 100, seed: 2, width: 64, height: 32, fps: 20 });
  video = r.videoPath;
  labels = r.labelsPath;
});

describe('steerlab inspect', () => {
  it('--json has the video and label facts, computed from the files', async () => {
    const r = await runCli(['inspect', video, '--labels', labels, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.video).toMatchObject({ frames: 100, fps: 20, width: 64, height: 32, durationS: 5 });
    expect(j.labels).toMatchObject({ rows: 100, matched: 100, unmatchedFrames: 0, unmatchedLabels: 0, units: 'degrees' });
    for (const k of ['minDeg', 'maxDeg', 'meanDeg', 'stdDeg']) expect(typeof j.labels[k]).toBe('number');
    expect(j.labels.minDeg).toBeLessThanOrEqual(j.labels.meanDeg);
    expect(j.labels.maxDeg).toBeGreaterThanOrEqual(j.labels.meanDeg);
    expect(Array.isArray(j.warnings)).toBe(true);
  });

  it('labels covering only the first half: exit 0, warning naming the label file, counts of dropped frames', async () => {
    const half = join(dir, 'half log.csv');
    writeFileSync(half, 'time_s,steering_deg\n' + Array.from({ length: 50 }, (_, i) => `${(i / 20).toFixed(3)},${i}`).join('\n') + '\n');
    const r = await runCli(['inspect', video, '--labels', half, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.labels.rows).toBe(50);
    expect(j.labels.matched + j.labels.unmatchedFrames).toBe(100);
    expect(j.labels.unmatchedFrames).toBeGreaterThan(40);
    expect(j.warnings.some((w: string) => w.includes('half log.csv') && w.includes('--offset-ms'))).toBe(true);
  });

  it('a file that is not a video: one line on stderr naming it, non-zero exit, no stack', async () => {
    const bad = join(dir, 'not a video ü.mp4');
    writeFileSync(bad, 'hello');
    const r = await runCli(['inspect', bad, '--json']);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('not a video ü.mp4');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('missing ffmpeg/ffprobe (STEERLAB_FFPROBE points nowhere): one line with the fix', async () => {
    const r = await runCli(['inspect', video], { STEERLAB_FFPROBE: join(dir, 'no-ffprobe') });
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/STEERLAB_FFPROBE.*no-ffprobe.*fix the path/);
  });
});
