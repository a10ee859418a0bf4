/**
 * The synthetic dashcam drive: the lab's embedded default data set. A seeded
 * road (see road.ts) rendered in JavaScript (render.ts), encoded to H.264
 * mp4 through ffmpeg, with labels.csv giving the steering-wheel angle of
 * every frame. The angle is a function of the road's curvature at the car,
 * and the picture shows that curvature (the road's bend in the near rows),
 * so a CNN can learn the angle from the image alone.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CancelledError, UserError } from '../errors.ts';
import { createRng } from '../rng.ts';
import type { DecodeProgress } from '../video/types.ts';
import { encodeRawVideo } from '../video/encode.ts';
import { createRenderer } from './render.ts';
import { simulateDrive, type DriveState } from './road.ts';

/** Defaults for the demo drive: 2.5 minutes at 20 Hz (a common dashcam logging rate), 320x160 pixels. */
export const DEMO_DRIVE = Object.freeze({ frames: 3000, width: 320, height: 160, fps: 20, seed: 1 });

export interface SynthOptions {
  frames: number;
  seed: number;
  width: number;
  height: number;
  fps: number;
  /** Distant hills and trees that slide sideways as the car turns (see render.ts; off by default, which keeps the default drive's pixels). */
  scenery?: boolean;
  signal?: AbortSignal;
  onProgress?(p: DecodeProgress): void;
}

export interface SynthResult {
  videoPath: string;
  labelsPath: string;
  frames: number;
}

/** labels.csv text: `frame_index,timestamp_s,steering_deg`, fixed decimals so the same seed gives the same bytes. */
export function labelsCsv(states: DriveState[], fps: number): string {
  const lines = ['frame_index,timestamp_s,steering_deg'];
  states.forEach((s, i) => {
    const deg = s.steeringDeg.toFixed(3);
    lines.push(`${i},${(i / fps).toFixed(6)},${deg === '-0.000' ? '0.000' : deg}`);
  });
  return lines.join('\n') + '\n';
}

function validate(o: SynthOptions): void {
  if (!(Number.isInteger(o.frames) && o.frames >= 1)) throw new UserError(`--frames must be a whole number >= 1 (got ${o.frames})`);
  if (!(Number.isInteger(o.width) && Number.isInteger(o.height) && o.width >= 16 && o.height >= 16)) {
    throw new UserError(`--size must be at least 16x16 pixels (got ${o.height}x${o.width}, height x width)`);
  }
  // yuv420p stores chroma at half resolution: H.264 needs even sides.
  if (o.width % 2 || o.height % 2) throw new UserError(`--size must have even height and width for H.264 (got ${o.height}x${o.width})`);
  if (!(o.fps > 0 && o.fps <= 240)) throw new UserError(`fps must be in (0, 240] (got ${o.fps})`);
  if (!Number.isInteger(o.seed)) throw new UserError(`--seed must be a whole number (got ${o.seed})`);
}

/** The car's state per frame (labels only, no rendering): same seed, same numbers. */
export function simulate(o: Pick<SynthOptions, 'frames' | 'fps' | 'seed'>): DriveState[] {
  return simulateDrive(o.frames, o.fps, o.seed).states;
}

/**
 * Simulates, renders and encodes the drive: synth.mp4 and labels.csv in
 * outDir. Frames stream into ffmpeg one by one; nothing holds the video.
 */
export async function synthesizeDrive(outDir: string, o: SynthOptions): Promise<SynthResult> {
  validate(o);
  mkdirSync(outDir, { recursive: true });
  const { profile, states } = simulateDrive(o.frames, o.fps, o.seed);
  // The renderer's noise and lighting have their own stream, so labels depend on the seed only.
  const renderer = createRenderer(o.width, o.height, o.fps, profile, createRng(o.seed ^ 0x5eed), { scenery: o.scenery });
  const videoPath = join(outDir, 'synth.mp4');
  const labelsPath = join(outDir, 'labels.csv');
  const buf = new Uint8Array(o.width * o.height * 3);
  const t0 = performance.now();
  let lastReport = 0;
  function* frames(): Generator<Uint8Array> {
    for (let i = 0; i < o.frames; i++) {
      if (o.signal?.aborted) return;
      renderer.render(i, states[i], buf);
      yield buf;
      const now = performance.now();
      if (o.onProgress && (now - lastReport > 200 || i + 1 === o.frames)) {
        lastReport = now;
        const rate = (i + 1) / ((now - t0) / 1000);
        o.onProgress({ done: i + 1, total: o.frames, etaS: (o.frames - i - 1) / rate });
      }
    }
  }
  const written = await encodeRawVideo(videoPath, frames(), { width: o.width, height: o.height, fps: o.fps, signal: o.signal });
  if (o.signal?.aborted) throw new CancelledError('synthesis cancelled');
  const tmp = `${labelsPath}.${process.pid}.tmp`;
  writeFileSync(tmp, labelsCsv(states, o.fps));
  renameSync(tmp, labelsPath);
  return { videoPath, labelsPath, frames: written };
}
