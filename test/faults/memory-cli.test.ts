/**
 * `--input 4096x4096` used to swap its way to 4 GB RSS and hang; it is now
 * refused before decoding with the memory estimate and the fix, in one line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { synthesizeDrive } from '../../src/synth/index.ts';
import { runCli } from '../helpers/cli.ts';

let dir: string;
let drive: { videoPath: string; labelsPath: string };
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'steerlab-mem-'));
  drive = await synthesizeDrive(join(dir, 'drive'), { frames: 40, width: 64, height: 32, fps: 5, seed: 2 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('refuses an input size that cannot fit, with the estimate, before decoding', async () => {
  const r = await runCli(['train', '--video', drive.videoPath, '--labels', drive.labelsPath, '--input', '4096x4096', '--workspace', join(dir, 'ws'), '--engine', 'wasm']);
  expect(r.code).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/input 4096x4096 \(HxW\) at batch size 32 needs about [\d.]+ GiB of memory .* use a smaller --input \(e\.g\. 66x200\) or --batch-size/);
  expect(r.stderr).not.toMatch(/internal error/);
}, 60_000);
