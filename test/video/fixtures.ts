/**
 * Small generated videos for the video tests: each frame's colour encodes its
 * index, so a decoded pixel tells which frame it came from.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeRawVideo } from '../../src/video/encode.ts';
import { runTool } from '../../src/video/ffmpeg.ts';

/** Lossless H.264 (qp 0): only the RGB <-> YUV conversion rounds, about +-2 levels on flat colours. */
export const LOSSLESS = ['-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0', '-pix_fmt', 'yuv420p'];

/** Colour of frame i (i < 64): red rises, green falls, blue constant. */
export function indexColour(i: number): [number, number, number] {
  return [4 * i, 255 - 4 * i, 128];
}

/** Frame i: left half in indexColour(i), right half pure blue. */
export function indexFrame(i: number, w: number, h: number): Uint8Array {
  const f = new Uint8Array(w * h * 3);
  const [r, g, b] = indexColour(i);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 3;
      if (x < w / 2) {
        f[o] = r;
        f[o + 1] = g;
        f[o + 2] = b;
      } else {
        f[o + 2] = 255;
      }
    }
  }
  return f;
}

export function tempDir(prefix = 'steerlab-video-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes an index-coloured video (default 60 frames, 64x32, 30 fps). */
export async function writeIndexVideo(path: string, o: { frames?: number; width?: number; height?: number; fps?: number; extraArgs?: string[] } = {}): Promise<void> {
  const n = o.frames ?? 60;
  const w = o.width ?? 64;
  const h = o.height ?? 32;
  function* frames() {
    for (let i = 0; i < n; i++) yield indexFrame(i, w, h);
  }
  await encodeRawVideo(path, frames(), { width: w, height: h, fps: o.fps ?? 30, codecArgs: LOSSLESS, extraArgs: o.extraArgs });
}

/**
 * A variable-frame-rate file: frames 0..29 every 1/30 s, then frames 30..59
 * every 0.1 s (times 0 .. 0.967 s, then 1.0 .. 3.9 s). Matroska keeps the
 * times as written.
 */
export const VFR_TIMES_S = Array.from({ length: 60 }, (_, n) => (n < 30 ? n / 30 : 1 + (n - 30) / 10));
export async function writeVfrVideo(path: string): Promise<void> {
  await writeIndexVideo(path, { extraArgs: ['-vf', "setpts='if(lt(N,30),N/30,1+(N-30)/10)/TB'", '-vsync', 'passthrough'] });
}

/** Copies a video with a 90-degree rotation flag in its metadata (no re-encode). */
export async function writeRotated(src: string, dst: string): Promise<void> {
  const { result } = await runTool('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', `file:${src}`, '-c', 'copy', '-metadata:s:v:0', 'rotate=90', `file:${dst}`]);
  if (result.status !== 'ok') throw new Error(`rotate failed: ${result.stderrTail}`);
}

/** Mean RGB of a region of a decoded frame. */
export function meanRgb(rgb: Uint8Array, w: number, x0: number, x1: number, y0: number, y1: number): [number, number, number] {
  const s = [0, 0, 0];
  let n = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const o = (y * w + x) * 3;
      s[0] += rgb[o];
      s[1] += rgb[o + 1];
      s[2] += rgb[o + 2];
      n++;
    }
  }
  return [s[0] / n, s[1] / n, s[2] / n];
}

/** Every frame a decode yields, in order (tests only: holds them all). */
export async function collectFrames<T>(gen: AsyncGenerator<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const f of gen) out.push(f);
  return out;
}
