/**
 * Decode speed: the lab's decoder (VIDEO's decodeFrames: ffmpeg child,
 * frame framing, timestamps, back-pressure) against plain
 * `ffmpeg -i file -vf scale=W:H:flags=area -pix_fmt rgb24 -f rawvideo -`
 * on the same file, same binary, same output size.
 */
import { spawn } from 'node:child_process';
import { decodeFrames } from '../src/video/decode.ts';
import { resolveFfmpeg } from '../src/video/ffmpeg.ts';

export interface DecodeResult {
  frames: number;
  width: number;
  height: number;
  /** Lab pipeline, frames per second (best of the repeats). */
  fps: number;
  /** Plain ffmpeg to a pipe, frames per second (best of the repeats). */
  ffmpegFps: number;
  /** fps / ffmpegFps (target >= 0.9). */
  ratio: number;
  ffmpeg: string;
}

async function labDecode(path: string, width: number, height: number): Promise<{ frames: number; s: number }> {
  const t0 = performance.now();
  let frames = 0;
  for await (const f of decodeFrames(path, { width, height })) {
    if (f.rgb.length !== width * height * 3) throw new Error('decoder returned a frame of the wrong size');
    frames++;
  }
  return { frames, s: (performance.now() - t0) / 1000 };
}

function plainDecode(ffmpeg: string, path: string, width: number, height: number): Promise<{ frames: number; s: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', path, '-vf', `scale=${width}:${height}:flags=area`, '-pix_fmt', 'rgb24', '-f', 'rawvideo', 'pipe:1'];
    const child = spawn(ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let bytes = 0;
    let err = '';
    child.stdout.on('data', (b: Buffer) => (bytes += b.length));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`ffmpeg exited with ${code}: ${err.trim().split('\n').pop()}`));
      resolve({ frames: bytes / (width * height * 3), s: (performance.now() - t0) / 1000 });
    });
  });
}

/** Alternates lab and plain decodes `repeats` times and keeps each one's best time (the machine is shared). */
export async function measureDecode(path: string, width = 200, height = 66, repeats = 3): Promise<DecodeResult> {
  const ff = resolveFfmpeg();
  let lab = Infinity;
  let plain = Infinity;
  let frames = 0;
  for (let i = 0; i < repeats; i++) {
    const a = await labDecode(path, width, height);
    const b = await plainDecode(ff.path, path, width, height);
    if (a.frames !== b.frames) throw new Error(`the lab decoded ${a.frames} frames, plain ffmpeg ${b.frames}`);
    frames = a.frames;
    lab = Math.min(lab, a.s);
    plain = Math.min(plain, b.s);
  }
  const fps = frames / lab;
  const ffmpegFps = frames / plain;
  return { frames, width, height, fps, ffmpegFps, ratio: fps / ffmpegFps, ffmpeg: `${ff.path} (${ff.version})` };
}
