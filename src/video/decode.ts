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
import { lastErrorLine, resolveFfmpeg, spawnTool, type ExitResult } from './ffmpeg.ts';
import { concatList, isSequencePattern, listImages } from './images.ts';
import { assertReadableFile, ffInput } from './probe.ts';
import type { Crop, DecodeProgress } from './types.ts';

/** Bumped whenever the decode pipeline changes pixels or times; part of the cache key. */
export const DECODER_VERSION = 1;

/** Nominal rate given to image folders (their frames carry no times). */
export const IMAGE_FOLDER_FPS = 30;

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
  frameTimesS?: ArrayLike<number> | Promise<ArrayLike<number> | null> | (() => Promise<ArrayLike<number> | null>);
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
}

/** ffmpeg output more frames than the caller's frame times: those times do not describe this decode. */
export class FrameCountMismatchError extends Error {
  constructor(readonly source: string, readonly times: number) {
    super(`"${source}" decoded to more frames than the ${times} frame times probed from its packets`);
    this.name = 'FrameCountMismatchError';
  }
}

/** The promised frame times resolved to null: the caller must decode again with showinfo times. */
export class FrameTimesUnavailableError extends Error {
  constructor(readonly source: string) {
    super(`"${source}" has no packet times usable as frame times`);
    this.name = 'FrameTimesUnavailableError';
  }
}

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

/** How long frames may wait, stdout paused, for showinfo times that do not come. */
const STALL_MS = 5000;

const SHOWINFO = /Parsed_showinfo.*?\bn:\s*(\d+)\s+pts:\s*(-?\d+)/;

/**
 * Decodes a video file, image folder or numbered image sequence into RGB
 * frames. Memory is bounded: at most a few frames wait between ffmpeg and the
 * consumer (stdout is paused when the consumer falls behind). Aborting the
 * signal kills ffmpeg (SIGTERM, then SIGKILL) and throws CancelledError.
 */
export async function* decodeFrames(source: string, size: DecodeSize, o: DecodeOptions = {}): AsyncGenerator<DecodedFrame> {
  const { width, height } = size;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new UserError(`frame size must be whole positive pixels (got ${width}x${height})`);
  }
  const frameBytes = width * height * 3;
  const images = isImageSource(source);
  let tmp: string | null = null;
  const input: string[] = [];
  if (images) {
    const list = listImages(source);
    tmp = mkdtempSync(join(tmpdir(), 'steerlab-concat-'));
    const listPath = join(tmp, 'list.ffconcat');
    writeFileSync(listPath, concatList(list.paths, 1 / IMAGE_FOLDER_FPS));
    input.push('-f', 'concat', '-safe', '0', '-i', ffInput(listPath));
  } else {
    assertReadableFile(source);
    input.push('-i', ffInput(source));
  }
  const timesIn = o.frameTimesS;
  const showinfo = timesIn === undefined;
  const deferred = typeof timesIn === 'function';
  const pending = deferred || (timesIn !== undefined && 'then' in timesIn);
  // Set once the times are known (at once unless they are a promise).
  let given: ArrayLike<number> | null = timesIn === undefined || pending ? null : (timesIn as ArrayLike<number>);
  let timesFailed: { error: unknown } | null = null;
  const args = [
    '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info',
    ...input,
    '-map', '0:v:0', '-an', '-sn', '-dn',
    '-vf', filterChain(size, showinfo),
    // Passthrough: one output frame per decoded frame, no duplicates or drops for VFR input.
    ...passthroughArgs(),
    ...(o.maxFrames ? ['-frames:v', String(o.maxFrames)] : []),
    '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1',
  ];

  const ptsUs: number[] = [];
  const ready: Uint8Array[] = [];
  // Assembled (straddling) frame buffers given back by a lending consumer, and the set of them, so views into pipe chunks are never pooled.
  const spare: Uint8Array[] = [];
  const assembled = new WeakSet<Uint8Array>();
  // The frame being assembled across stdout chunks (null between frames).
  let cur: Uint8Array | null = null;
  let filled = 0;
  let exit: ExitResult | null = null;
  let wake: (() => void) | null = null;
  const notify = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  const child = spawnTool('ffmpeg', args, {
    signal: o.signal,
    onStderrLine: showinfo
      ? (line) => {
          const m = SHOWINFO.exec(line);
          if (m) {
            ptsUs[Number(m[1])] = Number(m[2]);
            notify();
            return true;
          }
          // showinfo's second line per frame (colour info, side data) is noise for errors.
          return /Parsed_showinfo/.test(line);
        }
      : undefined,
  });
  child.stdin.end();
  const HIGH_WATER = 8;
  // While promised times are pending, ffmpeg may run further ahead (up to
  // PENDING_BYTES of frames) so the probe does not stall it: ffprobe in node
  // takes ~35 ms on a 1,000-frame file, ~90 frames at 200x66, where 8 frames
  // plus the 64 KiB pipe would stop ffmpeg after ~10.
  const pendingWater = Math.max(HIGH_WATER, Math.floor(PENDING_BYTES / frameBytes));
  child.stdout.on('data', (b: Buffer) => {
    let off = 0;
    if (cur) {
      const n = Math.min(frameBytes - filled, b.length);
      cur.set(b.subarray(0, n), filled);
      filled += n;
      off = n;
      if (filled === frameBytes) {
        ready.push(cur);
        cur = null;
      }
    }
    // Whole frames inside this chunk are handed out as views, not copies: node
    // allocates each pipe read (up to 64 KiB) afresh and keeps no reference,
    // so a view is as much the caller's own as a copy would be.
    while (b.length - off >= frameBytes) {
      ready.push(new Uint8Array(b.buffer, b.byteOffset + off, frameBytes));
      off += frameBytes;
    }
    if (off < b.length) {
      // Not zero-filled (every byte is overwritten) and never from Buffer's shared pool.
      cur = spare.pop() ?? Buffer.allocUnsafeSlow(frameBytes);
      if (o.lend) assembled.add(cur);
      cur.set(b.subarray(off));
      filled = b.length - off;
    }
    if (ready.length >= (pending && given === null ? pendingWater : HIGH_WATER)) child.stdout.pause();
    // Wake the consumer only for whole frames: a chunk holding part of one
    // (most of them, at 64 KiB reads of ~40 KiB frames) would wake it for nothing.
    if (ready.length > 0) notify();
  });
  const done = child.done.then((r) => {
    exit = r;
    notify();
  });
  if (pending) {
    let promised: Promise<ArrayLike<number> | null>;
    try {
      promised = deferred ? (timesIn as () => Promise<ArrayLike<number> | null>)() : (timesIn as Promise<ArrayLike<number> | null>);
    } catch (e) {
      promised = Promise.reject(e);
    }
    promised.then(
      (t) => {
        if (t) given = t;
        else timesFailed = { error: new FrameTimesUnavailableError(source) };
        if (t && !o.expectedFrames && !o.maxFrames) total = t.length;
        notify();
      },
      (e: unknown) => {
        timesFailed = { error: e };
        notify();
      },
    );
  }

  let stalled = false;
  const t0 = performance.now();
  let total = o.maxFrames && o.expectedFrames ? Math.min(o.maxFrames, o.expectedFrames) : (o.maxFrames ?? o.expectedFrames ?? 0);
  let index = 0;
  let lastReport = 0;
  try {
    for (;;) {
      // A frame waits for its showinfo time. ffmpeg logs a frame's line before
      // it writes the frame's bytes, so the time is already on its way (stderr
      // is never paused), even when one stdout chunk brought many small frames
      // at once. Only an ffmpeg that printed no times at all would leave us
      // waiting with stdout paused, so after STALL_MS of that, times fall back
      // to the nominal rate rather than hang.
      if (timesFailed) throw (timesFailed as { error: unknown }).error;
      if (ready.length > 0 && (showinfo ? ptsUs[index] !== undefined || exit || stalled : given !== null)) {
        let ptsS: number;
        if (given) {
          if (index >= given.length) throw new FrameCountMismatchError(source, given.length);
          ptsS = given[index];
        } else {
          const us = ptsUs[index];
          ptsS = us !== undefined ? us / 1e6 : index / (o.fps ?? IMAGE_FOLDER_FPS);
        }
        const rgb = ready.shift()!;
        if (ready.length < HIGH_WATER / 2) child.stdout.resume();
        yield { index, ptsS, rgb };
        // The consumer asked for the next frame: a lent buffer is ours again.
        if (o.lend && assembled.has(rgb)) spare.push(rgb);
        index++;
        const now = performance.now();
        if (o.onProgress && (now - lastReport > 200 || index === total)) {
          lastReport = now;
          const rate = index / ((now - t0) / 1000);
          o.onProgress({ done: index, total: Math.max(total, index), etaS: total > index && rate > 0 ? (total - index) / rate : total ? 0 : null });
        }
        continue;
      }
      // Decoded frames still waiting for promised times are not dropped when
      // ffmpeg ends first (short files); a failed ffmpeg is reported at once.
      const ended = exit as ExitResult | null;
      if (ended && (ready.length === 0 || given !== null || ended.status !== 'ok')) break;
      const stallTimer = showinfo && ready.length >= HIGH_WATER ? setTimeout(() => ((stalled = true), notify()), STALL_MS) : null;
      await new Promise<void>((r) => (wake = r));
      if (stallTimer) clearTimeout(stallTimer);
    }
    const r = exit as ExitResult | null;
    if (o.signal?.aborted || r?.status === 'cancelled') throw new CancelledError(`decoding "${source}" was cancelled`);
    if (r && r.status !== 'ok') {
      const why = r.status === 'spawn-error' ? r.message : lastErrorLine(r.stderrTail);
      throw new UserError(`ffmpeg could not decode "${source}" (${why}); check that the file is a complete video ffmpeg can read (\`steerlab inspect\` shows what it sees)`);
    }
    if (index === 0) throw new UserError(`"${source}" decoded to no frames; the file is probably truncated or not a video`);
    o.onProgress?.({ done: index, total: index, etaS: 0 });
  } finally {
    if (!exit) {
      // A paused stdout holding unread bytes never ends, so the child's
      // 'close' (and `done`) would never come: drop the bytes and let it drain.
      child.stdout.removeAllListeners('data');
      child.stdout.resume();
      child.kill();
      await done;
    }
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

/** Names (relative, natural order) of the frames of an image source, for image-keyed labels. */
export function imageNames(source: string): string[] {
  return listImages(source).names;
}
