/**
 * Streams decoded frames as raw RGB (uint8, HWC) at the model's input size,
 * one frame at a time: ffmpeg crops (in pixels of the upright picture, after
 * its automatic rotation), resizes and converts; we read rgb24 rawvideo from
 * its stdout.
 *
 * Per-frame presentation times come from one of two places:
 * - the caller's `frameTimesS` (ffprobe's packet times, which loadDataset
 *   probes anyway): ffmpeg then prints nothing per frame. This is the fast
 *   path: the showinfo filter cost about 20% of ffmpeg's CPU time (it sums
 *   and checksums every frame) and its ~300 bytes of stderr per frame cost
 *   node as much again as reading the pixels (measured in bench/decode.ts);
 * - otherwise the showinfo filter on stderr, after `settb=AVTB` so its
 *   integer pts are microseconds (its printed pts_time has only 6
 *   significant digits: 10 ms steps after 1000 s).
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CancelledError, UserError } from '../errors.ts';
import { lastErrorLine, resolveFfmpeg, spawnTool, type ExitResult, type ManagedChild } from './ffmpeg.ts';
import { FrameAssembler, FrameTimes, progressReporter, type TimesInput } from './frame-stream.ts';
import { concatList, isSequencePattern, listImages } from './images.ts';
import { assertReadableFile, ffInput } from './probe.ts';
import type { Crop, DecodeProgress } from './types.ts';

/**
 * Bumped whenever the decode pipeline changes pixels, times or the meaning of
 * the cache metadata; part of the cache key. 2: image names per decoded
 * frame, and lost frames recorded (frameGap).
 */
export const DECODER_VERSION = 2;

/** Nominal rate given to image folders (their frames carry no times). */
export const IMAGE_FOLDER_FPS = 30;

/**
 * Image demuxers time their single frame in 1/25 s units (their default
 * rate), and the concat demuxer rounds each file's start to that unit: at
 * 1/30 s per image two images shared a time. Images are listed 1/25 s
 * apart, so image k is at exactly k/25 s, then renumbered to k/30 s: a
 * frame's time says which image it is even when an unreadable one is
 * skipped (see frame-gaps.ts).
 */
const IMAGE_DEMUX_RATE = 25;

export interface DecodedFrame {
  index: number;
  /** Presentation time in seconds from the start of the video. */
  ptsS: number;
  /** width*height*3 bytes, RGB, row-major; the caller owns them, or with `lend` may read them only until it asks for the next frame (often a view into a larger ArrayBuffer: mind byteOffset). */
  rgb: Uint8Array;
}

export interface DecodeSize {
  width: number;
  height: number;
  crop?: Crop;
}

export interface DecodeOptions {
  signal?: AbortSignal;
  onProgress?(p: DecodeProgress): void;
  /** Expected frame count for progress (e.g. from probeVideo). */
  expectedFrames?: number;
  /** Stop after this many frames. */
  maxFrames?: number;
  /** Nominal rate, used for a frame's time only if ffmpeg printed none for it. */
  fps?: number;
  /**
   * Presentation times (s) of the frames ffmpeg will output, in order (from
   * probeVideoDetailed when its `packetTimes` is true). Given, ffmpeg is not
   * asked for per-frame times; decoding more frames than this throws
   * FrameCountMismatchError, and the caller must check that it received
   * exactly `frameTimesS.length` frames (or maxFrames) before trusting them.
   *
   * May be a promise, so the probe runs while ffmpeg already decodes (on
   * short files the probe was ~7% of the wall time when run first): frames
   * wait for it in the bounded queue, then ffmpeg waits on the full pipe.
   * A promise that resolves to null (the probe found the packet times
   * unusable) throws FrameTimesUnavailableError; one that rejects stops
   * ffmpeg and rethrows its error.
   *
   * A function is called once, right after ffmpeg is spawned, for that
   * promise: node's spawn forks this process and blocks the event loop until
   * the child has exec'd (~5 ms at 45 MB RSS, ~50 ms at 750 MB, measured), so
   * a probe spawned first held ffmpeg back by that much; spawned second, it
   * overlaps ffmpeg's own start-up.
   */
  frameTimesS?: TimesInput;
  /**
   * Lend frames instead of giving them: a frame's bytes stay valid only until
   * the next frame is requested, so a consumer that copies them at once (the
   * frame cache writer) lets the buffers of frames that straddled two pipe
   * reads be reused. Fresh buffers for those (about half the frames at 64 KiB
   * reads of ~40 KiB frames) were half as many external bytes again as
   * node's own read buffers, and the old-space collections they forced in a
   * process that had built a model cost 0.39-0.44 s of node CPU per
   * 1,000-frame 200x66 decode against 0.28-0.31 s lent (0.22-0.25 s for a
   * reader that only counts bytes).
   */
  lend?: boolean;
  /** How long (ms) frames wait for showinfo times that do not come before falling back to the nominal rate (default 5000; tests shorten it). */
  stallMs?: number;
}

export { FrameCountMismatchError, FrameTimesUnavailableError } from './frame-stream.ts';

/** True when the source is an image folder or numbered sequence rather than a video file. */
export function isImageSource(source: string): boolean {
  if (isSequencePattern(source)) {
    try {
      statSync(source);
      return false;
    } catch {
      return true;
    }
  }
  try {
    return statSync(source).isDirectory();
  } catch {
    return false;
  }
}

/** The ffmpeg filter chain: crop, resize (area averaging for downscaling), rgb24, and (showinfo) microsecond times on stderr. */
export function filterChain(size: DecodeSize, showinfo = true): string {
  const f: string[] = [];
  const c = size.crop;
  if (c && (c.top || c.bottom || c.left || c.right)) {
    for (const [k, v] of Object.entries(c)) {
      if (!Number.isInteger(v) || v < 0) throw new UserError(`crop.${k} must be a whole number of pixels >= 0 (got ${v})`);
    }
    f.push(`crop=iw-${c.left + c.right}:ih-${c.top + c.bottom}:${c.left}:${c.top}`);
  }
  f.push(`scale=${size.width}:${size.height}:flags=area`, 'format=rgb24');
  if (showinfo) f.push('settb=AVTB', 'showinfo');
  return f.join(',');
}

/**
 * `-fps_mode` replaced `-vsync` in ffmpeg 5.1 (and -vsync is slated to go);
 * nightly builds ("N-12345-g...") predating that and 4.x only know -vsync.
 */
export function passthroughArgs(version = resolveFfmpeg().version): string[] {
  const m = /^n?(\d+)\.(\d+)/.exec(version);
  const modern = m !== null && (Number(m[1]) > 5 || (Number(m[1]) === 5 && Number(m[2]) >= 1));
  return modern ? ['-fps_mode', 'passthrough'] : ['-vsync', 'passthrough'];
}

/** Bytes of decoded frames that may queue while promised frame times are pending (16 MiB). */
const PENDING_BYTES = 16 * 1024 * 1024;

/** Frames queued between ffmpeg and the consumer before stdout is paused. */
const HIGH_WATER = 8;

/** How long frames may wait, stdout paused, for showinfo times that do not come. */
const STALL_MS = 5000;

function checkSize(size: DecodeSize): void {
  const { width, height } = size;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new UserError(`frame size must be whole positive pixels (got ${height}x${width}, height x width)`);
  }
}

/** ffmpeg's input arguments; for images, a concat list in a temporary folder the caller removes. */
function inputArgs(source: string, images: boolean): { input: string[]; tmp: string | null } {
  if (!images) {
    assertReadableFile(source);
    return { input: ['-i', ffInput(source)], tmp: null };
  }
  const list = listImages(source);
  const tmp = mkdtempSync(join(tmpdir(), 'steerlab-concat-'));
  const listPath = join(tmp, 'list.ffconcat');
  writeFileSync(listPath, concatList(list.paths, 1 / IMAGE_DEMUX_RATE));
  return { input: ['-f', 'concat', '-safe', '0', '-i', ffInput(listPath)], tmp };
}

function ffmpegArgs(input: string[], size: DecodeSize, showinfo: boolean, maxFrames?: number): string[] {
  return [
    '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info',
    ...input,
    '-map', '0:v:0', '-an', '-sn', '-dn',
    '-vf', filterChain(size, showinfo),
    // Passthrough: one output frame per decoded frame, no duplicates or drops for VFR input.
    ...passthroughArgs(),
    ...(maxFrames ? ['-frames:v', String(maxFrames)] : []),
    '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1',
  ];
}

/** A running ffmpeg decode: its frames, their times, and a way to wait for either. */
interface Decode {
  child: ManagedChild;
  frames: FrameAssembler;
  times: FrameTimes;
  /** Resolves when ffmpeg exits (then `exit` is set). */
  done: Promise<void>;
  exit: ExitResult | null;
  /** Resolves at the next frame, time or exit. */
  next(): Promise<void>;
  /** Resolves a pending next() now. */
  wake(): void;
  /** Expected frame count for progress (0 = unknown). */
  total: number;
}

/** Spawns ffmpeg and wires stdout (bounded queue, paused when full) and stderr (times) to a Decode. */
function startDecode(source: string, size: DecodeSize, o: DecodeOptions, images: boolean, input: string[]): Decode {
  let wake: (() => void) | null = null;
  const notify = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  const times = new FrameTimes(source, o.frameTimesS, notify, images ? (s) => Math.round(s * IMAGE_DEMUX_RATE) / IMAGE_FOLDER_FPS : undefined);
  const child = spawnTool('ffmpeg', ffmpegArgs(input, size, times.showinfo, o.maxFrames), {
    signal: o.signal,
    onStderrLine: times.showinfo ? (line) => times.onStderrLine(line) : undefined,
  });
  child.stdin.end();
  const frames = new FrameAssembler(size.width * size.height * 3, o.lend === true);
  // While promised times are pending, ffmpeg may run further ahead (up to
  // PENDING_BYTES of frames) so the probe does not stall it: ffprobe in node
  // takes ~35 ms on a 1,000-frame file, ~90 frames at 200x66, where 8 frames
  // plus the 64 KiB pipe would stop ffmpeg after ~10.
  const pendingWater = Math.max(HIGH_WATER, Math.floor(PENDING_BYTES / frames.frameBytes));
  child.stdout.on('data', (b: Buffer) => {
    frames.push(b);
    if (frames.ready.length >= (times.pending && times.given === null ? pendingWater : HIGH_WATER)) child.stdout.pause();
    // Wake the consumer only for whole frames: a chunk holding part of one
    // (most of them, at 64 KiB reads of ~40 KiB frames) would wake it for nothing.
    if (frames.ready.length > 0) notify();
  });
  const d: Decode = {
    child, frames, times, exit: null,
    done: child.done.then((r) => {
      d.exit = r;
      notify();
    }),
    next: () => new Promise<void>((r) => (wake = r)),
    wake: notify,
    total: o.maxFrames && o.expectedFrames ? Math.min(o.maxFrames, o.expectedFrames) : (o.maxFrames ?? o.expectedFrames ?? 0),
  };
  times.await((n) => {
    if (!o.expectedFrames && !o.maxFrames) d.total = n;
  });
  return d;
}

/** After the frames: cancellation, ffmpeg's failure, or no frames at all, as errors. */
function checkEnd(source: string, d: Decode, frames: number, signal?: AbortSignal): void {
  const r = d.exit;
  if (signal?.aborted || r?.status === 'cancelled') throw new CancelledError(`decoding "${source}" was cancelled`);
  if (r && r.status !== 'ok') {
    const why = r.status === 'spawn-error' ? r.message : lastErrorLine(r.stderrTail);
    throw new UserError(`ffmpeg could not decode "${source}" (${why}); check that the file is a complete video ffmpeg can read (\`steerlab inspect\` shows what it sees)`);
  }
  if (frames === 0) throw new UserError(`"${source}" decoded to no frames; the file is probably truncated or not a video`);
}

/** Stops an ffmpeg that is still running (consumer left early, or an error). */
async function stopDecode(d: Decode): Promise<void> {
  if (d.exit) return;
  // A paused stdout holding unread bytes never ends, so the child's
  // 'close' (and `done`) would never come: drop the bytes and let it drain.
  d.child.stdout.removeAllListeners('data');
  d.child.stdout.resume();
  d.child.kill();
  await d.done;
}

/**
 * Decodes a video file, image folder or numbered image sequence into RGB
 * frames. Memory is bounded: at most a few frames wait between ffmpeg and the
 * consumer (stdout is paused when the consumer falls behind). Aborting the
 * signal kills ffmpeg (SIGTERM, then SIGKILL) and throws CancelledError.
 */
export async function* decodeFrames(source: string, size: DecodeSize, o: DecodeOptions = {}): AsyncGenerator<DecodedFrame> {
  checkSize(size);
  const images = isImageSource(source);
  const { input, tmp } = inputArgs(source, images);
  let d: Decode | null = null;
  try {
    d = startDecode(source, size, o, images, input);
    const { frames, times } = d;
    const report = progressReporter(o.onProgress, () => d!.total);
    let stalled = false;
    let index = 0;
    for (;;) {
      // A frame waits for its showinfo time. ffmpeg logs a frame's line before
      // it writes the frame's bytes, so the time is already on its way (stderr
      // is never paused), even when one stdout chunk brought many small frames
      // at once. Only an ffmpeg that printed no times at all would leave us
      // waiting with stdout paused, so after STALL_MS of that, times fall back
      // to the nominal rate rather than hang.
      if (times.failed) throw times.failed.error;
      if (frames.ready.length > 0 && times.known(index, d.exit !== null || stalled)) {
        const ptsS = times.timeOf(index, o.fps ?? IMAGE_FOLDER_FPS);
        const rgb = frames.ready.shift()!;
        if (frames.ready.length < HIGH_WATER / 2) d.child.stdout.resume();
        yield { index, ptsS, rgb };
        // The consumer asked for the next frame: a lent buffer is ours again.
        frames.giveBack(rgb);
        report(++index);
        continue;
      }
      // Decoded frames still waiting for promised times are not dropped when
      // ffmpeg ends first (short files); a failed ffmpeg is reported at once.
      const ended = d.exit;
      if (ended && (frames.ready.length === 0 || times.given !== null || ended.status !== 'ok')) break;
      const stallTimer = times.showinfo && frames.ready.length >= HIGH_WATER ? setTimeout(() => ((stalled = true), d!.wake()), o.stallMs ?? STALL_MS) : null;
      await d.next();
      if (stallTimer) clearTimeout(stallTimer);
    }
    checkEnd(source, d, index, o.signal);
    o.onProgress?.({ done: index, total: index, etaS: 0 });
  } finally {
    if (d) await stopDecode(d);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

/** Names (relative, natural order) of the frames of an image source, for image-keyed labels. */
export function imageNames(source: string): string[] {
  return listImages(source).names;
}
