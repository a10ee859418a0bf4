/**
 * One frame of a video file, found by seeking to its time instead of decoding
 * from the start (lab/source-frame.ts shows it at source resolution).
 *
 * A video file is seeked, not decoded from its start: ffmpeg's input seek
 * (`-ss` before `-i`) starts decoding at the keyframe before a point a few
 * frames ahead of the frame and drops what precedes that point, then the
 * select filter keeps the first frame at or after the frame's presentation
 * time (less half the gap to its neighbours). The data set knows a frame by
 * its index in the full decode and that frame's time; showinfo reports the
 * time of the frame the seek gave, and only a frame within half a gap of the
 * expected time is taken. A later frame (the decoder waited for a keyframe
 * past it) is sought again from further back. Anything else (no frame, two
 * frames sharing a time, an image folder, a raw elementary stream whose
 * seek has no container index) decodes from the start as before
 * (video/sample.ts, `select=eq(n,i)`). The last frame of a 6,000-frame
 * (300 s, x264 with B-frames) 1280x720 drive took 11.3-19.2 s from the
 * start and 0.10-0.15 s seeked; of a 320x160 one, 0.84-1.5 s and
 * 0.05-0.10 s (2-core AMD EPYC family 25, shared with other jobs).
 * test/host/source-frame.test.ts checks the pixels are the same bytes.
 */
import { CancelledError } from '../errors.ts';
import { filterChain, isImageSource, passthroughArgs, type DecodeSize } from './decode.ts';
import { spawnTool } from './ffmpeg.ts';
import { ffInput } from './probe.ts';

/**
 * Raw elementary streams (no container): their times are made up from the
 * nominal rate and ffmpeg seeks them by byte guesses, so they are decoded
 * from the start.
 */
const RAW_STREAM = /\.(h26[1-5]|26[1-5]|avc|hevc|h265|m4v|mpv|m1v|m2v|mjpe?g|y4m|yuv|ivf|obu|bit|vc1|cavs|dirac|drc)$/i;

/**
 * Seconds before the frame to seek to, per try. First a few frames, so a
 * stream timed by decode order (B-frames) still lands before it. Containers
 * seeked by timestamp search rather than a keyframe index (MPEG-TS, PS) land
 * where the decoder must wait for the next keyframe, which may be past the
 * frame: then 4 s and 16 s before it, enough for common keyframe intervals.
 */
const SEEK_LEADS_S = [(gapS: number) => Math.min(1, Math.max(0.1, 4 * gapS)), () => 4, () => 16];

/** Where a frame sits on its own video's clock: its time and those of its neighbours (undefined at either end). */
export interface FrameTime {
  timeS: number;
  prevS?: number;
  nextS?: number;
}

/** Half the gap to the nearer neighbour (s): the window the frame's time must fall in; null when the time cannot name the frame alone. */
export function frameTolerance(t: FrameTime, nominalFps = 0): number | null {
  const gaps = [t.prevS === undefined ? NaN : t.timeS - t.prevS, t.nextS === undefined ? NaN : t.nextS - t.timeS].filter((g) => !Number.isNaN(g));
  const gap = gaps.length > 0 ? Math.min(...gaps) : 1 / (nominalFps > 0 ? nominalFps : 25);
  // Two frames within 0.1 ms of each other (or out of order): the time alone does not say which.
  if (!(gap > 1e-4) || !Number.isFinite(t.timeS)) return null;
  return gap / 2;
}

/**
 * The frame of a video file shown at `t.timeS` (seconds on the video's own
 * clock, from its start, as the frame store records it) at `size`, found by
 * seeking: the frame a full decode numbers by that time's index in the
 * store (see the file comment). Null when the seek does not
 * give a frame of that time: the caller decodes from the start instead.
 */
export async function seekSourceFrame(source: string, t: FrameTime, size: DecodeSize, o: { signal?: AbortSignal; nominalFps?: number } = {}): Promise<Uint8Array | null> {
  if (isImageSource(source) || RAW_STREAM.test(source)) return null;
  const tolS = frameTolerance(t, o.nominalFps);
  if (tolS === null) return null;
  for (const lead of SEEK_LEADS_S) {
    // Microseconds: what ffmpeg's -ss parses to; 0 means no seek at all.
    const s = t.timeS - lead(2 * tolS);
    const seekS = s > 0 ? Math.floor(s * 1e6) / 1e6 : 0;
    const got = await seekOnce(source, seekS, t.timeS - tolS, size, o.signal);
    if (got === 'failed') return null;
    if (got !== 'none' && Math.abs(got.timeS - t.timeS) < tolS) return got.rgb;
    // A frame before the window cannot come out of the select; one after it (or none) means the decoder started past the frame.
    if (got !== 'none' && got.timeS < t.timeS) return null;
    if (seekS === 0) return null;
  }
  return null;
}

/** One ffmpeg run: seek to `seekS`, the first frame at or after `fromS` (both on the video's clock), with its time. */
async function seekOnce(source: string, seekS: number, fromS: number, size: DecodeSize, signal: AbortSignal | undefined): Promise<{ rgb: Uint8Array; timeS: number } | 'none' | 'failed'> {
  const args = [
    '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info',
    ...(seekS > 0 ? ['-ss', seekS.toFixed(6)] : []), '-i', ffInput(source),
    '-map', '0:v:0', '-an', '-sn', '-dn',
    // Output times start at the seek point (ffmpeg subtracts it with the file's start time); showinfo after settb=AVTB prints them in microseconds.
    '-vf', `select=gte(t\\,${(fromS - seekS).toFixed(6)}),${filterChain(size, true)}`,
    ...passthroughArgs(),
    '-frames:v', '1',
    '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1',
  ];
  let ptsUs: number | null = null;
  const child = spawnTool('ffmpeg', args, {
    signal,
    onStderrLine: (line) => {
      const m = /Parsed_showinfo.*?\bn:\s*\d+\s+pts:\s*(-?\d+)/.exec(line);
      if (m && ptsUs === null) ptsUs = Number(m[1]);
      return /Parsed_showinfo/.test(line);
    },
  });
  child.stdin.end();
  const chunks: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => chunks.push(b));
  const r = await child.done;
  if (signal?.aborted || r.status === 'cancelled') throw new CancelledError(`decoding a frame of "${source}" was cancelled`);
  if (r.status !== 'ok') return 'failed';
  const all = Buffer.concat(chunks);
  if (all.length === 0 && ptsUs === null) return 'none';
  if (ptsUs === null || all.length !== size.width * size.height * 3) return 'failed';
  return { rgb: Uint8Array.from(all), timeS: seekS + (ptsUs as number) / 1e6 };
}
