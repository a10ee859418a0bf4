/**
 * Encodes RGB frames produced in JavaScript into a video file: frames are
 * piped as rgb24 rawvideo to ffmpeg's stdin, with backpressure so memory
 * holds only a frame or two. The output is written under a temporary name
 * and renamed when ffmpeg succeeds, so a cancelled encode leaves no file.
 */
import { renameSync, rmSync } from 'node:fs';
import { CancelledError, UserError } from '../errors.ts';
import { lastErrorLine, spawnTool } from './ffmpeg.ts';

export interface EncodeOptions {
  width: number;
  height: number;
  fps: number;
  /** Video codec arguments; default H.264 (libx264, yuv420p) for the widest playback support. */
  codecArgs?: string[];
  /** Extra output arguments placed before the file name (e.g. a setpts filter for a VFR test file). */
  extraArgs?: string[];
  signal?: AbortSignal;
  /** mp4/mov: put the index first so players can start before the download ends (default true). */
  faststart?: boolean;
}

// ultrafast: sensor-like noise makes slower presets cost 4x the time for little size gain on 2 cores.
export const H264_ARGS = ['-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '20', '-pix_fmt', 'yuv420p'];

/**
 * Encodes frames (each width*height*3 bytes, RGB) from an iterable to outPath.
 * The container is chosen by outPath's extension.
 */
export async function encodeRawVideo(outPath: string, frames: Iterable<Uint8Array> | AsyncIterable<Uint8Array>, o: EncodeOptions): Promise<number> {
  const ext = /\.[^./\\]+$/.exec(outPath)?.[0] ?? '.mp4';
  const tmp = `${outPath}.${process.pid}.partial${ext}`;
  const args = [
    '-hide_banner', '-nostats', '-loglevel', 'error', '-y',
    '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${o.width}x${o.height}`, '-r', String(o.fps), '-i', 'pipe:0',
    ...(o.codecArgs ?? H264_ARGS),
    ...(o.extraArgs ?? []),
    ...((ext === '.mp4' || ext === '.mov') && o.faststart !== false ? ['-movflags', '+faststart'] : []),
    `file:${tmp}`,
  ];
  const child = spawnTool('ffmpeg', args, { signal: o.signal });
  let n = 0;
  let ended = false;
  child.done.then(() => (ended = true));
  const frameBytes = o.width * o.height * 3;
  try {
    for await (const f of frames as AsyncIterable<Uint8Array>) {
      if (o.signal?.aborted || ended) break;
      if (f.length !== frameBytes) throw new Error(`frame ${n} has ${f.length} bytes, expected ${frameBytes}`);
      // Copy: the caller may reuse its buffer while ffmpeg's pipe still holds ours.
      if (!child.stdin.write(Buffer.from(f))) {
        await new Promise<void>((r) => {
          child.stdin.once('drain', r);
          child.done.then(() => r());
        });
      }
      n++;
    }
  } catch (e) {
    child.kill();
    await child.done;
    rmSync(tmp, { force: true });
    throw e;
  }
  child.stdin.end();
  const r = await child.done;
  if (o.signal?.aborted || r.status === 'cancelled') {
    rmSync(tmp, { force: true });
    throw new CancelledError(`encoding ${outPath} was cancelled`);
  }
  if (r.status !== 'ok') {
    rmSync(tmp, { force: true });
    const why = r.status === 'spawn-error' ? r.message : lastErrorLine(r.stderrTail);
    throw new UserError(`ffmpeg could not write ${outPath} (${why}); check the folder is writable, and that this ffmpeg has libx264 (\`steerlab doctor\`)`);
  }
  renameSync(tmp, outPath);
  return n;
}
