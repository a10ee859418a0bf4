/**
 * A few frames spread over a drive, decoded small in one ffmpeg run: what
 * the crop suggestion looks at. A video is decoded through and only the
 * chosen frames are kept (ffmpeg's select filter, before the scaler); an
 * image folder gets a concat list of just the chosen images. The result is
 * held in memory, so callers ask for a few hundred small frames at most.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CancelledError, UserError } from '../errors.ts';
import { filterChain, IMAGE_FOLDER_FPS, isImageSource, passthroughArgs, type DecodeSize } from './decode.ts';
import { lastErrorLine, spawnTool } from './ffmpeg.ts';
import { concatList, listImages } from './images.ts';
import { assertReadableFile, ffInput } from './probe.ts';
import { suggestCrop, type CropSuggestion } from './crop-suggest.ts';
import type { Crop } from './types.ts';

/** Frames the crop suggestion samples by default: enough to see the road move, few enough to decode fast. */
export const SAMPLE_FRAMES = 200;

/** `n` indices spread evenly over `candidates` (all of them when there are fewer), ascending. */
export function spreadPick(candidates: ArrayLike<number>, n: number): number[] {
  const m = candidates.length;
  if (m <= n) return Array.from(candidates);
  return Array.from({ length: n }, (_, i) => candidates[Math.floor(((i + 0.5) * m) / n)]);
}

/**
 * A modest decode size for the picture left after the crop: at most 120
 * rows (1.3 source px per row at 160 rows, 4 at 480) and 160 columns, the
 * aspect ratio kept, even numbers (ffmpeg's scaler wants them for yuv).
 */
export function sampleSize(width: number, height: number, crop?: Crop): DecodeSize {
  const w = width - (crop ? crop.left + crop.right : 0);
  const h = height - (crop ? crop.top + crop.bottom : 0);
  if (w < 1 || h < 1) throw new UserError(`crop leaves nothing of the ${height}x${width} px picture; use a smaller crop`);
  const scale = Math.min(1, 120 / h, 160 / w);
  const even = (x: number) => Math.max(2, Math.round((x * scale) / 2) * 2);
  return { width: even(w), height: even(h), ...(crop && { crop }) };
}

/**
 * Decodes frames `indices` (0-based, in decode order) of a video file,
 * image folder or numbered sequence at `size` (crop first, then resize):
 * RGB, width*height*3 bytes each, in index order. Indices past the end are
 * simply not returned; no frame at all is an error.
 */
export async function sampleFrames(source: string, indices: readonly number[], size: DecodeSize, o: { signal?: AbortSignal } = {}): Promise<Uint8Array[]> {
  const picks = [...new Set(indices)].filter((i) => Number.isInteger(i) && i >= 0).sort((a, b) => a - b);
  if (picks.length === 0) return [];
  let tmp: string | null = null;
  const input: string[] = [];
  let select = '';
  if (isImageSource(source)) {
    const list = listImages(source);
    tmp = mkdtempSync(join(tmpdir(), 'steerlab-sample-'));
    const listPath = join(tmp, 'list.ffconcat');
    writeFileSync(listPath, concatList(picks.filter((i) => i < list.paths.length).map((i) => list.paths[i]), 1 / IMAGE_FOLDER_FPS));
    input.push('-f', 'concat', '-safe', '0', '-i', ffInput(listPath));
  } else {
    assertReadableFile(source);
    input.push('-i', ffInput(source));
    // One term per pick: selected frames only reach the crop and scaler (commas escaped for the filter graph).
    select = `select=${picks.map((i) => `eq(n\\,${i})`).join('+')},`;
  }
  const args = [
    '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error', ...input,
    '-map', '0:v:0', '-an', '-sn', '-dn',
    '-vf', select + filterChain(size, false),
    ...passthroughArgs(),
    // Stop once the last pick is out rather than decode the rest of the video.
    '-frames:v', String(picks.length),
    '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1',
  ];
  try {
    return await runRaw(source, args, size, o.signal);
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

/** Runs ffmpeg to the end and splits its rawvideo stdout into frames (a few hundred small ones at most). */
async function runRaw(source: string, args: string[], size: DecodeSize, signal: AbortSignal | undefined): Promise<Uint8Array[]> {
  const child = spawnTool('ffmpeg', args, { signal });
  child.stdin.end();
  const chunks: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => chunks.push(b));
  const r = await child.done;
  if (signal?.aborted || r.status === 'cancelled') throw new CancelledError(`sampling frames of "${source}" was cancelled`);
  if (r.status !== 'ok') {
    const why = r.status === 'spawn-error' ? r.message : lastErrorLine(r.stderrTail);
    throw new UserError(`ffmpeg could not decode "${source}" (${why}); check that it is a complete video or image folder ffmpeg can read`);
  }
  const all = Buffer.concat(chunks);
  const bytes = size.width * size.height * 3;
  const frames = Array.from({ length: Math.floor(all.length / bytes) }, (_, i) => Uint8Array.from(all.subarray(i * bytes, (i + 1) * bytes)));
  if (frames.length === 0) throw new UserError(`"${source}" gave no frame to sample; the file is probably truncated or not a video`);
  return frames;
}

/**
 * Source pixels (frames x width x height) a crop suggestion decodes in full;
 * above this a video is sampled from its keyframes alone. Decoding every
 * frame of 5,000 VGA frames (1.5e9 px) took 2.9 s here; keyframes of a
 * 10-minute 1280x720 video (18,000 frames, one keyframe per 2 s, 560 MB) took 2.5 s,
 * where decoding all of it would take tens of seconds.
 */
const FULL_DECODE_PX = 2e9;

/**
 * At most `count` frames spread over `durationS` seconds of a video,
 * decoding keyframes only (`-skip_frame nokey`): the first keyframe, then
 * each keyframe at least a step (seconds) after the last one kept. Sparse
 * keyframes give fewer frames, never repeated ones.
 */
export async function sampleKeyframes(source: string, count: number, durationS: number, size: DecodeSize, o: { signal?: AbortSignal } = {}): Promise<Uint8Array[]> {
  assertReadableFile(source);
  // 5% under the even step, so keyframes exactly a step apart are not missed by rounding.
  const stepS = (0.95 * Math.max(durationS, 1e-3)) / Math.max(1, count);
  const args = [
    '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error',
    '-skip_frame', 'nokey', '-i', ffInput(source),
    '-map', '0:v:0', '-an', '-sn', '-dn',
    '-vf', `select=isnan(prev_selected_t)+gte(t-prev_selected_t\\,${stepS.toPrecision(6)}),${filterChain(size, false)}`,
    ...passthroughArgs(), '-frames:v', String(count),
    '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1',
  ];
  return runRaw(source, args, size, o.signal);
}

/**
 * The crop suggestion for a drive of one or more videos of one picture size:
 * SAMPLE_FRAMES frames spread over them in proportion to their usable
 * frames (`frames`: the indices a label matched, or every frame), decoded
 * uncropped, then video/crop-suggest.ts on them. A long video is sampled
 * from its keyframes over its duration instead (see FULL_DECODE_PX).
 */
export async function suggestDriveCrop(
  parts: readonly { source: string; frames: ArrayLike<number>; durationS: number }[],
  picture: { width: number; height: number },
  o: { signal?: AbortSignal; samples?: number } = {},
): Promise<CropSuggestion> {
  const size = sampleSize(picture.width, picture.height);
  const total = parts.reduce((n, p) => n + p.frames.length, 0);
  const want = o.samples ?? SAMPLE_FRAMES;
  const frames: Uint8Array[] = [];
  for (const p of parts) {
    if (p.frames.length === 0) continue;
    const n = Math.max(1, Math.round((want * p.frames.length) / Math.max(1, total)));
    const long = !isImageSource(p.source) && p.frames.length * picture.width * picture.height > FULL_DECODE_PX;
    frames.push(...(long ? await sampleKeyframes(p.source, n, p.durationS, size, o) : await sampleFrames(p.source, spreadPick(p.frames, n), size, o)));
  }
  return suggestCrop(frames, size.width, size.height, { sourceHeight: picture.height });
}
