/**
 * What a video file holds, read with ffprobe: frame count, rate, size,
 * duration, codec, rotation and per-frame presentation times from the
 * container's packets (demuxing only, no decoding, so it is fast even for
 * long drives).
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UserError } from '../errors.ts';
import { isStaticPackageBuild, lastErrorLine, locateTool, resolveFfprobe, runTool, type ExitResult } from './ffmpeg.ts';
import type { VideoInfo } from './types.ts';

interface ProbeJson {
  streams?: {
    codec_name?: string;
    codec_type?: string;
    width?: number;
    height?: number;
    r_frame_rate?: string;
    avg_frame_rate?: string;
    duration?: string;
    nb_frames?: string;
    field_order?: string;
    tags?: Record<string, string>;
    side_data_list?: { side_data_type?: string; rotation?: number | string }[];
  }[];
  format?: { duration?: string; start_time?: string; format_name?: string };
  packets?: { pts_time?: string; flags?: string }[];
}

export interface DetailedProbe {
  info: VideoInfo;
  /** Problems seen in the container (e.g. an index listing more frames than the file holds). */
  warnings: string[];
  /** Presentation time of each frame in seconds from the start, sorted ascending (from packets). */
  frameTimesS: Float64Array;
  /**
   * True when frameTimesS are the container's own packet times of a
   * progressive stream (one packet, one frame), so the decoder may use them
   * instead of asking ffmpeg for each frame's time. False for raw streams
   * (times made up from the nominal rate) and field-coded video (a packet
   * may hold one field).
   */
  packetTimes: boolean;
}

function rate(s: string | undefined): number {
  if (!s) return NaN;
  const [n, d] = s.split('/').map(Number);
  return d ? n / d : n;
}

/** Rotation in degrees [0, 360) from the display matrix (new ffprobe) or the rotate tag (old). */
function rotationOf(st: NonNullable<ProbeJson['streams']>[number]): number {
  const dm = st.side_data_list?.find((s) => s.rotation !== undefined);
  const raw = dm?.rotation ?? st.tags?.rotate ?? 0;
  const r = Math.round(Number(raw)) % 360;
  return Number.isFinite(r) ? (r + 360) % 360 : 0;
}

/** An input argument ffmpeg cannot mistake for an option or a protocol ("-x.mp4", "a:b.mp4"). */
export function ffInput(path: string): string {
  return `file:${resolve(path)}`;
}

/** Signals that mean ffprobe crashed (not that someone stopped it). */
const CRASH_SIGNALS: ReadonlySet<string> = new Set(['SIGSEGV', 'SIGBUS', 'SIGILL', 'SIGABRT', 'SIGFPE']);

/** ffprobe binaries (by path) that crashed until run with gconv isolated (see isolatedGconvEnv). */
const needsIsolatedGconv = new Set<string>();

function crashSignal(r: ExitResult): string | null {
  return r.status === 'failed' && r.signal ? r.signal : null;
}

/**
 * Runs ffprobe on a file. The npm packages' static builds run with glibc's iconv modules kept out
 * (spawnTool does that; without it they die from SIGSEGV on every MPEG-TS file); another ffprobe
 * (STEERLAB_FFPROBE, PATH) that crashes is retried once the same way, and remembered if that helped.
 * An ffprobe that still dies from a signal gives one UserError naming the file, the binary and the fix.
 */
async function runProbe(path: string, args: string[], signal?: AbortSignal): Promise<{ result: ExitResult; stdout: string }> {
  const loc = locateTool('ffprobe');
  const isolated = isStaticPackageBuild(loc) || (process.platform === 'linux' && needsIsolatedGconv.has(loc.path));
  let run = await runTool('ffprobe', args, { signal, isolateGconv: isolated });
  const sig = crashSignal(run.result);
  if (sig && CRASH_SIGNALS.has(sig) && !isolated && process.platform === 'linux') {
    run = await runTool('ffprobe', args, { signal, isolateGconv: true });
    if (run.result.status === 'ok') needsIsolatedGconv.add(loc.path);
  }
  const died = crashSignal(run.result);
  if (died) {
    let version = '';
    try {
      version = `, version ${resolveFfprobe().version}`;
    } catch {
      /* the message names the binary anyway */
    }
    const fix =
      loc.source === 'env'
        ? 'point STEERLAB_FFPROBE to another ffprobe (e.g. /usr/bin/ffprobe from `apt-get install ffmpeg`)'
        : 'set STEERLAB_FFPROBE to a newer ffprobe (e.g. STEERLAB_FFPROBE=/usr/bin/ffprobe after `apt-get install ffmpeg`)';
    throw new UserError(`ffprobe died from ${died} while reading "${path}" (ffprobe "${loc.path}" from ${loc.source}${version}); ${fix}`);
  }
  return run;
}

/** Checks the path before handing it to ffprobe, so the error names the real problem. */
export function assertReadableFile(path: string): number {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new UserError(`"${path}" is not a file; give a video file or an image folder`);
    size = st.size;
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`cannot read "${path}": ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}; check the path`);
  }
  if (size === 0) throw new UserError(`"${path}" is empty (0 bytes); re-copy or re-export the video`);
  return size;
}

/**
 * Frame times are irregular when deltas differ from the median by more than
 * 2 ms and 5% (mkv rounds times to whole ms, so 29.97 fps alternates 33/34 ms).
 */
export function isVariableRate(timesS: ArrayLike<number>): boolean {
  const n = timesS.length;
  if (n < 3) return false;
  const d: number[] = [];
  for (let i = 1; i < n; i++) d.push(timesS[i] - timesS[i - 1]);
  const sorted = [...d].sort((a, b) => a - b);
  const med = sorted[sorted.length >> 1];
  const tol = Math.max(0.002, 0.05 * med);
  let odd = 0;
  for (const x of d) if (Math.abs(x - med) > tol) odd++;
  return odd > Math.max(1, 0.01 * d.length);
}

/** Probes a video file, including per-frame times; throws UserError naming the file and a fix. */
export async function probeVideoDetailed(path: string, signal?: AbortSignal): Promise<DetailedProbe> {
  assertReadableFile(path);
  const { result, stdout } = await runProbe(
    path,
    [
      '-v', 'error',
      '-select_streams', 'v:0',
      '-show_entries', 'stream=codec_name,codec_type,width,height,r_frame_rate,avg_frame_rate,duration,nb_frames,field_order:stream_tags=rotate:stream_side_data=rotation:format=duration,start_time,format_name:packet=pts_time,flags',
      '-of', 'json',
      '-i', ffInput(path),
    ],
    signal,
  );
  if (result.status === 'cancelled') throw new UserError(`probing "${path}" was cancelled`);
  if (result.status !== 'ok') {
    const why = result.status === 'spawn-error' ? result.message : lastErrorLine(result.stderrTail);
    throw new UserError(`"${path}" is not a readable video (${why}); check that the file is complete (a truncated recording lacks its index) and in a format ffmpeg reads`);
  }
  let j: ProbeJson;
  try {
    j = JSON.parse(stdout) as ProbeJson;
  } catch {
    throw new UserError(`ffprobe gave unreadable output for "${path}"; run \`steerlab doctor\` to check the ffprobe install`);
  }
  const st = j.streams?.[0];
  if (!st || !st.width || !st.height) throw new UserError(`"${path}" has no video stream; give a video file (mp4, mkv, mov, avi) or an image folder`);
  if (st.codec_name && /^(png|mjpeg|bmp|webp|tiff)$/.test(st.codec_name) && (j.packets?.length ?? 0) <= 1 && !/mjpeg/.test(j.format?.format_name ?? '') && !/avi|mov|matroska/.test(j.format?.format_name ?? '')) {
    throw new UserError(`"${path}" is a single image, not a video; put images in a folder and give the folder`);
  }
  const start = Number(j.format?.start_time ?? 0) || 0;
  // Packets the demuxer marks D (discard, e.g. cut by an mp4 edit list) are never shown.
  const pts = (j.packets ?? []).filter((p) => !(p.flags ?? '').includes('D')).map((p) => Number(p.pts_time));
  const frames = pts.length;
  if (frames === 0) throw new UserError(`"${path}" has a video stream but no frames; the recording is probably truncated or empty`);
  let fps = rate(st.avg_frame_rate);
  if (!(fps > 0 && fps < 1000)) fps = rate(st.r_frame_rate);
  let frameTimesS: Float64Array;
  const finite = pts.every(Number.isFinite);
  if (finite) {
    pts.sort((a, b) => a - b);
    frameTimesS = Float64Array.from(pts, (t) => t - start);
  } else {
    // Raw streams (e.g. .h264) have no timestamps: assume the nominal rate.
    const f = fps > 0 ? fps : 25;
    frameTimesS = Float64Array.from({ length: frames }, (_, i) => i / f);
  }
  let durationS = Number(st.duration ?? j.format?.duration);
  if (!(durationS > 0)) durationS = frames > 1 ? frameTimesS[frames - 1] - frameTimesS[0] + (frameTimesS[frames - 1] - frameTimesS[0]) / (frames - 1) : 0;
  if (!(fps > 0 && fps < 1000)) fps = durationS > 0 ? frames / durationS : 25;
  const warnings: string[] = [];
  const listed = Number(st.nb_frames);
  if (Number.isFinite(listed) && listed > frames + 1) {
    // The index (mp4 moov) survived but the data after some point did not: a cut-off recording.
    const lastS = frameTimesS[frames - 1] + 1 / fps;
    warnings.push(`"${path}" is truncated: its index lists ${listed} frames (${durationS.toFixed(2)} s) but only ${frames} are in the file (up to ${lastS.toFixed(2)} s); re-copy the file if you have a complete one`);
    durationS = Math.min(durationS, lastS);
  }
  const variableFrameRate = isVariableRate(frameTimesS);
  const rotationDeg = rotationOf(st);
  const swap = rotationDeg === 90 || rotationDeg === 270;
  return {
    info: {
      path,
      frames,
      fps,
      // Size as displayed: ffmpeg rotates frames upright when decoding.
      width: swap ? st.height : st.width,
      height: swap ? st.width : st.height,
      durationS,
      codec: st.codec_name ?? 'unknown',
      rotationDeg,
      variableFrameRate,
    },
    frameTimesS,
    packetTimes: finite && (st.field_order === undefined || st.field_order === 'progressive' || st.field_order === 'unknown'),
    warnings,
  };
}

/** Probes a video file (see probeVideoDetailed). */
export async function probeVideo(path: string, signal?: AbortSignal): Promise<VideoInfo> {
  return (await probeVideoDetailed(path, signal)).info;
}

/** Size and codec of a single image (the first frame of an image folder). */
export async function probeImage(path: string): Promise<{ width: number; height: number; codec: string }> {
  assertReadableFile(path);
  const { result, stdout } = await runProbe(path, ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height,codec_name', '-of', 'json', '-i', ffInput(path)]);
  const st = result.status === 'ok' ? (JSON.parse(stdout) as ProbeJson).streams?.[0] : undefined;
  if (!st?.width || !st.height) {
    const why = result.status === 'ok' ? 'no picture found' : result.status === 'spawn-error' ? result.message : lastErrorLine(result.stderrTail);
    throw new UserError(`"${path}" is not a readable image (${why}); remove it from the folder or re-export it`);
  }
  return { width: st.width, height: st.height, codec: st.codec_name ?? 'unknown' };
}
