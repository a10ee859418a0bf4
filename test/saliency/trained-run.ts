/**
 * A trained run on a synthetic drive, for the saliency and render tests:
 * the drive is synthesised, then `steerlab train` runs as a user would and
 * the run folder it recorded is returned.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { synthesizeDrive } from '../../src/synth/index.ts';
import { runCli } from '../helpers/cli.ts';

export interface TrainedRun {
  runDir: string;
  drive: { videoPath: string; labelsPath: string; frames: number };
  /** Source picture size and crop (pixels). */
  video: { width: number; height: number; fps: number };
  crop: { top: number; bottom: number; left: number; right: number };
}

/** Synthesises a drive in `dir` and trains one PilotNet run on it (wasm engine, fixed seed). */
export async function trainedRun(dir: string, o: { frames: number; width: number; height: number; fps: number; epochs: number; cropTop: number }): Promise<TrainedRun> {
  const drive = await synthesizeDrive(join(dir, 'drive'), { frames: o.frames, width: o.width, height: o.height, fps: o.fps, seed: 4 });
  const crop = { top: o.cropTop, bottom: 0, left: 0, right: 0 };
  writeFileSync(join(dir, 'run.json'), JSON.stringify({
    name: 'saliency', epochs: o.epochs, batchSize: 16, seed: 1,
    model: { input: { height: 24, width: 64 }, widthMultiplier: 0.5 },
    data: { video: drive.videoPath, labels: drive.labelsPath, crop },
  }));
  const r = await runCli(['train', '--config', join(dir, 'run.json'), '--workspace', 'ws', '--engine', 'wasm', '--json'], { cwd: dir });
  expect(r.stderr).not.toMatch(/internal error/);
  expect(r.code).toBe(0);
  const runs = readdirSync(join(dir, 'ws', 'runs'));
  expect(runs).toHaveLength(1);
  return { runDir: join(dir, 'ws', 'runs', runs[0]), drive, video: { width: o.width, height: o.height, fps: o.fps }, crop };
}
