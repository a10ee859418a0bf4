import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthesizeDrive } from '../../src/synth/index.ts';
import { tempDir } from '../video/fixtures.ts';
import { runCli } from '../helpers/cli.ts';

const dir = tempDir('steerlab-cli-');
let video = '';
let labels = '';
/** A drive with bends (40 s at 5 fps), so the road moves while the sky (the top 42% of rows) does not. */
let curvy = { videoPath: '', labelsPath: '' };

beforeAll(async () => {
  const r = await synthesizeDrive(join(dir, 'drive'), { frames: 100, seed: 2, width: 64, height: 32, fps: 20 });
  video = r.videoPath;
  labels = r.labelsPath;
  curvy = await synthesizeDrive(join(dir, 'curvy'), { frames: 200, seed: 4, width: 96, height: 48, fps: 5 });
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
    const r = await runCli(['inspect', video], { env: { STEERLAB_FFPROBE: join(dir, 'no-ffprobe') } });
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/STEERLAB_FFPROBE.*no-ffprobe.*fix the path/);
  });
});

describe('steerlab inspect: crop', () => {
  it('suggests cropping the synthetic sky (rows above the horizon at 42% of the height), with its reason and evidence', async () => {
    const r = await runCli(['inspect', curvy.videoPath, '--labels', curvy.labelsPath, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.crop).toBe(null);
    const s = j.cropSuggestion;
    expect(s.found).toBe(true);
    // The horizon is at row 0.42 * 48 = 20.2: the band ends within a few rows of it, on an even row.
    expect(s.crop.top).toBeGreaterThanOrEqual(18);
    expect(s.crop.top).toBeLessThanOrEqual(26);
    expect(s.crop.top % 2).toBe(0);
    expect([s.crop.bottom, s.crop.left, s.crop.right]).toEqual([0, 0, 0]);
    expect(s.topRows).toEqual({ from: 0, to: s.crop.top - 1 });
    expect(s.rowScores).toHaveLength(48);
    expect(s.frames).toBe(200);
    expect(s.reason).toContain(`rows 0-${s.crop.top - 1} (probably sky) vary least over the drive`);
    expect(s.reason).toContain(`suggested --crop ${s.crop.top},0,0,0`);

    const human = await runCli(['inspect', curvy.videoPath, '--labels', curvy.labelsPath]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`suggested  --crop ${s.crop.top},0,0,0 (a suggestion from 200 sampled frames`);
    expect(human.stdout).toMatch(/row variation, top \(row 0\) to bottom \(row 47\): [▁▂▃▄▅▆▇█]+ \(max [\d.]+ grey levels\)/);
  });

  it('--crop: shown against the picture and the suggestion; --preview writes the frame as the crop leaves it', async () => {
    const png = join(dir, 'preview crop.png');
    const r = await runCli(['inspect', curvy.videoPath, '--labels', curvy.labelsPath, '--crop', '10,4,0,0', '--preview', png, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.crop).toEqual({ top: 10, bottom: 4, left: 0, right: 0 });
    expect(j.cropSuggestion.found).toBe(true);
    expect(existsSync(png)).toBe(true);
    const bytes = readFileSync(png);
    expect(bytes.subarray(1, 4).toString('ascii')).toBe('PNG');
    // IHDR: width and height of the cropped picture (96 x (48 - 10 - 4)).
    expect([bytes.readUInt32BE(16), bytes.readUInt32BE(20)]).toEqual([96, 34]);

    const human = await runCli(['inspect', curvy.videoPath, '--crop', '10,4,0,0']);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('crop       --crop 10,4,0,0 given: rows 10-43 and columns 0-95 (34x96 of 48x96 px) reach the model');
    expect(human.stdout).toMatch(/the given crop cuts \d+ px less at the top and 4 px more at the bottom than suggested/);
  });

  it('a crop that leaves nothing, or a malformed one: one line naming the fix, exit 2', async () => {
    const big = await runCli(['inspect', curvy.videoPath, '--crop', '30,18,0,0']);
    expect(big.code).toBe(2);
    expect(big.stdout).toBe('');
    expect(big.stderr.trim().split('\n')).toHaveLength(1);
    expect(big.stderr).toContain('--crop 30,18,0,0 leaves nothing of the 48x96 px picture');
    const bad = await runCli(['inspect', curvy.videoPath, '--crop', '10,4']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--crop expects TOP,BOTTOM,LEFT,RIGHT');
  });

  it('--no-crop-suggestion decodes nothing and reports no suggestion', async () => {
    const r = await runCli(['inspect', video, '--no-crop-suggestion', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).cropSuggestion).toBe(null);
  });
});
