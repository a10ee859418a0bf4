/**
 * One sample's frame at source resolution (scaled to at most SOURCE_FRAME_WIDTH
 * px wide, uncropped): what the page draws the crop outline on, beside the
 * model's input from the frame cache. The frame cache holds only the cropped,
 * resized input, so this decodes that one frame again.
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
import { CancelledError, UserError } from '../errors.ts';
import { filterChain, isImageSource, passthroughArgs, type DecodeSize } from '../video/decode.ts';
import { spawnTool } from '../video/ffmpeg.ts';
import { ffInput } from '../video/probe.ts';
import type { Dataset } from '../video/types.ts';

/** Widest source frame sent to the page, px: enough to see the road and set a crop to a few source pixels. */
export const SOURCE_FRAME_WIDTH = 640;

/** A sample's uncropped source frame as RGB bytes, with the data set's crop in source pixels. */
export interface SourceFrame {
  sample: number;
  /** Index in the data set's frame store (all videos one after another). */
  frameIndex: number;
  timeS: number;
  angleDeg: number;
  sourceWidth: number;
  sourceHeight: number;
  /** Size of `rgb`, px (the source scaled down, aspect kept, even numbers). */
  width: number;
  height: number;
  crop: { top: number; bottom: number; left: number; right: number };
  rgb: Uint8Array;
}

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

/** Decodes sample `sample` of `dataset` at source resolution: a seek to it in its video, else one ffmpeg run from the start that stops at it. */
export async function sourceFrameOf(dataset: Dataset, sample: number, o: { signal?: AbortSignal } = {}): Promise<SourceFrame> {
  if (!Number.isInteger(sample) || sample < 0 || sample >= dataset.sampleFrame.length) {
    throw new UserError(`sample ${sample} is past the end (${dataset.sampleFrame.length} samples)`);
  }
  const { datasetParts } = await import('../video/multi.ts');
  const { sampleFrames } = await import('../video/sample.ts');
  const frameIndex = dataset.sampleFrame[sample];
  const parts = datasetParts(dataset);
  // The video holding this frame and its own (0-based, decode-order) index of it.
  const part = parts.find((p) => frameIndex >= p.firstFrame && frameIndex < p.firstFrame + p.frames) ?? parts[0];
  const v = part.video;
  const scale = Math.min(1, SOURCE_FRAME_WIDTH / v.width);
  // Even sizes: ffmpeg's scaler wants them for yuv sources.
  const width = Math.max(2, Math.round((v.width * scale) / 2) * 2);
  const height = Math.max(2, Math.round((v.height * scale) / 2) * 2);
  const local = frameIndex - part.firstFrame;
  // The frame's time and its neighbours' on its own video's clock (the store shifts each video's times by its offset).
  const ts = dataset.frames.timestampsS;
  const own = (i: number) => (i >= part.firstFrame && i < part.firstFrame + part.frames && i < ts.length ? ts[i] - part.timeOffsetS : undefined);
  const at = own(frameIndex);
  let rgb: Uint8Array | null | undefined = at === undefined ? null
    : await seekSourceFrame(part.spec.source, { timeS: at, prevS: own(frameIndex - 1), nextS: own(frameIndex + 1) }, { width, height }, { signal: o.signal, nominalFps: v.fps });
  rgb ??= (await sampleFrames(part.spec.source, [local], { width, height }, o))[0];
  if (!rgb) throw new UserError(`${part.spec.source}: frame ${local} could not be decoded`);
  return {
    sample, frameIndex, timeS: dataset.frames.timestampsS[frameIndex] ?? 0, angleDeg: dataset.anglesDeg[sample],
    sourceWidth: v.width, sourceHeight: v.height, width, height,
    crop: dataset.spec.crop ?? { top: 0, bottom: 0, left: 0, right: 0 }, rgb,
  };
}
