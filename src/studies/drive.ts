/**
 * The steering data set a study trains on: the user's video and labels, or
 * the demo drive, synthesised once per (frames, seed) into the workspace's
 * one demo-drive folder (lab/workspace.ts) and reused afterwards.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { UserError } from '../errors.ts';
import { ensureDemoDrive, resolveWorkspace } from '../lab/workspace.ts';
import type { DatasetSpec } from '../video/types.ts';
import { checkCancelled, type StudyContext } from './types.ts';
import type { DriveDataset } from './options.ts';

export interface DriveChoice {
  /** Dataset spec without the input size (the study sets it). */
  spec: Omit<DatasetSpec, 'input'>;
  workspace: string;
  /** 'demo' or the user's video path. */
  source: string;
}

/**
 * The drive a study trains on: `dataset` (a full spec, e.g. the data set open
 * in the app, with its label override and crop), else `video` + `labels`,
 * else the demo drive. A user's data is cut to its first `frames` frames
 * (fewer if its own maxFrames says so), like the demo drive's length.
 */
export async function prepareDrive(
  o: { video?: string; labels?: string; dataset?: DriveDataset; frames: number; seed: number; workspace?: string },
  ctx: StudyContext,
): Promise<DriveChoice> {
  // The lab's workspace rule (lab/workspace.ts), so a second study reuses the drive and the frame cache.
  const workspace = resolveWorkspace(o.workspace);
  mkdirSync(workspace, { recursive: true });
  if (o.dataset) {
    if (o.video || o.labels) throw new UserError('give either a data set or a video with labels, not both');
    const d = o.dataset;
    if (!existsSync(d.source)) throw new UserError(`video not found: ${d.source}`);
    if (d.labels && !existsSync(d.labels)) throw new UserError(`labels not found: ${d.labels}`);
    const spec: Omit<DatasetSpec, 'input'> = {
      ...(d as Omit<DatasetSpec, 'input'>),
      source: resolve(d.source),
      ...(d.labels ? { labels: resolve(d.labels) } : {}),
      maxFrames: Math.min(o.frames, d.maxFrames ?? o.frames),
    };
    return { spec, workspace, source: d.source };
  }
  if (o.video) {
    if (!existsSync(o.video)) throw new UserError(`video not found: ${o.video}`);
    if (o.labels && !existsSync(o.labels)) throw new UserError(`labels not found: ${o.labels}`);
    return { spec: { source: resolve(o.video), labels: o.labels ? resolve(o.labels) : undefined, maxFrames: o.frames }, workspace, source: o.video };
  }
  checkCancelled(ctx.signal);
  const drive = await ensureDemoDrive(workspace, {
    frames: o.frames,
    seed: o.seed,
    signal: ctx.signal,
    onProgress: (p) => ctx.onProgress?.({ stage: 'synthesizing the demo drive', done: p.done, total: p.total }),
  });
  return { spec: { source: drive.videoPath, labels: drive.labelsPath }, workspace, source: 'demo' };
}
