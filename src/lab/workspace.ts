/**
 * Where the lab keeps its files, decided once for every front end:
 *
 * - The CLI commands (train, compare, demo, study, serve) use `--workspace`,
 *   else STEERLAB_WORKSPACE, else `.steerlab/` in the current folder, so a
 *   `compare` run and a `serve` started in the same folder see the same runs.
 * - The Electron app passes its folder explicitly (main/workspace.ts:
 *   STEERLAB_WORKSPACE, the folder chosen in the app, else <userData>/workspace).
 * - Studies write into the workspace they are given (the lab's).
 *
 * The layout inside a workspace is experiments/store.ts `workspacePaths`
 * (runs/, experiments/, cache/, data/); the demo drive lives in data/ (below).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEMO_DRIVE, synthesizeDrive } from '../synth/index.ts';
import type { DecodeProgress } from '../video/types.ts';
import { readJsonOrNull, workspacePaths, writeJsonAtomic } from '../experiments/store.ts';

/** The workspace folder when none is given: relative to the current folder. */
export const DEFAULT_WORKSPACE = '.steerlab';

/** The workspace to use: the one given, else STEERLAB_WORKSPACE, else `.steerlab` (absolute). */
export function resolveWorkspace(given?: string | null, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = given?.trim() || env.STEERLAB_WORKSPACE?.trim() || DEFAULT_WORKSPACE;
  return resolve(chosen);
}

/** Frame count of the demo drive: the one asked for, else STEERLAB_DEMO_FRAMES (small drives for tests), else the fallback. */
export function demoFrames(asked: number | undefined, fallback: number = DEMO_DRIVE.frames): number {
  const env = Number(process.env.STEERLAB_DEMO_FRAMES);
  if (asked) return asked;
  return Number.isInteger(env) && env > 0 ? env : fallback;
}

/** The demo drive's files. */
export interface DemoDrive {
  dir: string;
  videoPath: string;
  labelsPath: string;
  frames: number;
}

/** The one folder of the demo drive of these settings: `<workspace>/data/demo-drive-160x320-20hz-<frames>f-seed<seed>` (height x width). */
export function demoDriveDir(workspace: string, frames: number, seed: number = DEMO_DRIVE.seed): string {
  const d = DEMO_DRIVE;
  return join(workspacePaths(workspace).data, `demo-drive-${d.height}x${d.width}-${d.fps}hz-${frames}f-seed${seed}`);
}

/**
 * The demo drive (DEMO_DRIVE's picture size and rate, `frames` long, labels
 * from `seed`), synthesised once into the workspace and reused afterwards:
 * the drive is deterministic in its settings, and drive.json (written last)
 * marks a finished synthesis. `onSynth` is called before a synthesis starts.
 */
export async function ensureDemoDrive(
  workspace: string,
  o: { frames?: number; seed?: number; signal?: AbortSignal; onSynth?(dir: string, frames: number): void; onProgress?(p: DecodeProgress): void } = {},
): Promise<DemoDrive> {
  const frames = o.frames ?? DEMO_DRIVE.frames;
  const seed = o.seed ?? DEMO_DRIVE.seed;
  const dir = demoDriveDir(workspace, frames, seed);
  const marker = join(dir, 'drive.json');
  const known = readJsonOrNull(marker) as Omit<DemoDrive, 'dir'> | null;
  if (known && existsSync(known.videoPath) && existsSync(known.labelsPath)) return { dir, ...known };
  o.onSynth?.(dir, frames);
  const out = await synthesizeDrive(dir, { ...DEMO_DRIVE, frames, seed, signal: o.signal, onProgress: o.onProgress });
  const files = { videoPath: out.videoPath, labelsPath: out.labelsPath, frames: out.frames };
  writeJsonAtomic(marker, files);
  return { dir, ...files };
}
