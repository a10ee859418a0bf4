/**
 * A data set ready for training: frames decoded once into the on-disk cache
 * (or read from it), labels read and matched to frames, and the list of
 * usable samples. Labels are read before decoding so a bad label file fails
 * in a second, not after minutes of decoding.
 */
import { statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { describeAlignment } from '../data/align.ts';
import { readLabels } from '../data/read-labels.ts';
import type { LabelSet } from '../data/types.ts';
import { assertDiskRoom } from '../disk-space.ts';
import { CancelledError, UserError } from '../errors.ts';
import { FrameCacheWriter, cacheKey, openFrameCache, type CachedFrames } from './cache.ts';
import { DECODER_VERSION, FrameCountMismatchError, FrameTimesUnavailableError, IMAGE_FOLDER_FPS, decodeFrames, isImageSource } from './decode.ts';
import { resolveFfmpeg } from './ffmpeg.ts';
import { describeFrameGap, findFrameGap } from './frame-gaps.ts';
import { isSequencePattern, listImages } from './images.ts';
import { matchLabels } from './label-match.ts';
import { probeImage, probeVideoDetailed, type DetailedProbe } from './probe.ts';
import type { Dataset, DatasetSpec, DecodeProgress, VideoInfo } from './types.ts';

export interface LoadOptions {
  cacheDir: string;
  signal?: AbortSignal;
  onProgress?(p: DecodeProgress): void;
  /** Key the cache by the video's content hash instead of size + modification time. */
  hashContent?: boolean;
}

/**
 * Default for how far a frame may be from a label before it is dropped:
 * 2.5 label intervals (median spacing), at least 200 ms, so a 1 Hz log is
 * not dropped wholesale and a 20 Hz log still drops real gaps.
 */
export function defaultMaxGapMs(labels: LabelSet): number {
  const t = labels.rows.filter((r) => r.camera === undefined || r.camera === 'center').map((r) => r.timeS).filter((x): x is number => Number.isFinite(x));
  if (t.length < 2) return 200;
  const d: number[] = [];
  for (let i = 1; i < t.length; i++) d.push(t[i] - t[i - 1]);
  d.sort((a, b) => a - b);
  return Math.max(200, 2500 * d[d.length >> 1]);
}

function checkSpec(spec: DatasetSpec): void {
  const { width, height } = spec.input;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width >= 4 && height >= 4 && width <= 4096 && height <= 4096)) {
    throw new UserError(`input size must be whole pixels between 4 and 4096 (got ${height}x${width}, height x width)`);
  }
  if (spec.maxFrames !== undefined && !(Number.isInteger(spec.maxFrames) && spec.maxFrames > 0)) {
    throw new UserError(`maxFrames must be a whole number > 0 (got ${spec.maxFrames})`);
  }
  const images = isImageSource(spec.source);
  if (!images) {
    try {
      statSync(spec.source);
    } catch {
      throw new UserError(`"${spec.source}": no such video or image folder; check the path (quote it if it has spaces)`);
    }
  }
}

function checkCrop(spec: Pick<DatasetSpec, 'source' | 'crop'>, video: VideoInfo): void {
  const c = spec.crop;
  if (!c) return;
  if (c.left + c.right >= video.width || c.top + c.bottom >= video.height) {
    throw new UserError(
      `crop (top ${c.top}, bottom ${c.bottom}, left ${c.left}, right ${c.right} px) leaves nothing of the ${video.height}x${video.width} px picture of "${spec.source}"; use a smaller crop`,
    );
  }
}

/** VideoInfo of an image folder (size and codec of its first image, nominal rate) and its frame names. */
export async function describeImages(source: string): Promise<{ video: VideoInfo; names: string[] }> {
  const list = listImages(source);
  const first = await probeImage(list.paths[0]);
  const frames = list.paths.length;
  return {
    names: list.names,
    video: {
      path: source,
      frames,
      fps: IMAGE_FOLDER_FPS,
      width: first.width,
      height: first.height,
      durationS: frames / IMAGE_FOLDER_FPS,
      codec: `images (${first.codec})`,
      rotationDeg: 0,
      variableFrameRate: false,
    },
  };
}

/**
 * Decodes a source into a fresh frame cache file (no labels involved): what
 * loadDataset does on a cache miss. The bench times the lab's pipeline with it.
 */
export async function buildFrameCache(spec: Pick<DatasetSpec, 'source' | 'input' | 'crop' | 'maxFrames'>, o: LoadOptions): Promise<CachedFrames> {
  const { key, path } = await cacheKey(
    { source: spec.source, width: spec.input.width, height: spec.input.height, crop: spec.crop, maxFrames: spec.maxFrames, hashContent: o.hashContent },
    o.cacheDir,
  );
  return buildCache(spec, key, path, o);
}

/**
 * A full decode of a video file with the packet-time probe running beside
 * it (see decodeFrames' frameTimesS): the probe starts once ffmpeg is
 * spawned, so neither its ffprobe spawn nor its JSON parse delays the first
 * frame. Returns the probe and the writer, or a null writer when the packet
 * times turned out unusable or did not match the decoded count. Errors of the
 * probe (not a video, bad crop) win over ffmpeg's, which they explain;
 * cancellation wins over both.
 */
async function decodeBesideProbe(spec: Pick<DatasetSpec, 'source' | 'input' | 'crop' | 'maxFrames'>, path: string, o: LoadOptions): Promise<{ probed: DetailedProbe; writer: FrameCacheWriter | null }> {
  // Set by decodeFrames' call, once ffmpeg is spawned (an object, so TypeScript sees the assignment).
  const started: { probing: Promise<DetailedProbe> | null; times: Promise<Float64Array | null> | null } = { probing: null, times: null };
  const startProbe = (): Promise<Float64Array | null> => {
    const probing = probeVideoDetailed(spec.source, o.signal);
    const times = probing.then((p) => {
      checkCrop(spec, p.info);
      // Refuse a cache the disk cannot hold now, not when it fills up (a 4096x4096 decode writes 50 MB a frame).
      assertDiskRoom(path, p.info.frames * (spec.input.width * spec.input.height * 3 + 8));
      return p.packetTimes ? p.frameTimesS : null;
    });
    // Both are awaited below; this keeps an early rejection from counting as unhandled meanwhile.
    times.catch(() => undefined);
    started.probing = probing;
    started.times = times;
    return times;
  };
  let writer: FrameCacheWriter | null;
  try {
    writer = await decodeToCache(spec, path, o, undefined, startProbe);
  } catch (e) {
    if (e instanceof CancelledError) throw e;
    // ffmpeg may have failed before the probe started (e.g. the file vanished): then its error stands.
    if (started.times) await started.times;
    throw e;
  }
  // decodeToCache returns only after ffmpeg ran, which started the probe.
  if (!started.probing) throw new Error('the packet-time probe never started');
  return { probed: await started.probing, writer };
}

async function buildCache(spec: Pick<DatasetSpec, 'source' | 'input' | 'crop' | 'maxFrames'>, key: string, path: string, o: LoadOptions): Promise<CachedFrames> {
  const images = isImageSource(spec.source);
  // Packet times spare ffmpeg the per-frame showinfo report (the slow part of
  // decoding, see decode.ts), but only a full decode can prove they belong to
  // the decoded frames (same count), so a partial one keeps showinfo (and
  // probes first, for the frame count).
  const besideProbe = !images && !spec.maxFrames;
  let writer: FrameCacheWriter | null = null;
  let probed: DetailedProbe | null = null;
  if (besideProbe) ({ probed, writer } = await decodeBesideProbe(spec, path, o));
  else if (!images) probed = await probeVideoDetailed(spec.source, o.signal);
  const { video, names } = probed ? { video: probed.info, names: undefined } : await describeImages(spec.source);
  checkCrop(spec, video);
  const warnings: string[] = [...(probed?.warnings ?? [])];
  if (video.variableFrameRate) warnings.push(`"${spec.source}" has a variable frame rate; frames are matched to labels by their own timestamps`);
  const expected = spec.maxFrames ? Math.min(spec.maxFrames, video.frames) : video.frames;
  // A count that differs from the packets' (a frame the decoder dropped or
  // split, a cut-off last packet) or unusable packet times (raw streams,
  // field-coded video) mean decoding again with ffmpeg's own time for every frame.
  if (!writer) writer = (await decodeToCache(spec, path, o, video, undefined))!;
  try {
    // Which source frames were lost (damaged data, an unreadable image): told by each frame's own time.
    const timeline = probed ? probed.frameTimesS : Float64Array.from({ length: video.frames }, (_, i) => i / IMAGE_FOLDER_FPS);
    const frameGap = findFrameGap(writer.times, timeline, spec.maxFrames) ?? undefined;
    if (frameGap) warnings.push(describeFrameGap(spec.source, frameGap, timeline, names));
    else if (writer.count < expected - 1) {
      warnings.push(`"${spec.source}" decoded to ${writer.count} frames but its container lists ${expected}; the file may be truncated or damaged past ${writer.count} frames`);
    }
    return await writer.commit({
      key,
      decoderVersion: DECODER_VERSION,
      ffmpegVersion: resolveFfmpeg().version,
      video,
      imageNames: names && (frameGap?.numbers ? frameGap.numbers.map((k) => names[k]) : frameGap ? names : names.slice(0, writer.count)),
      frameGap,
      warnings,
    });
  } catch (e) {
    await writer.abort();
    throw e;
  }
}

/**
 * Decodes into a new (uncommitted) cache file. With `times`, returns null
 * (file removed) when the decoded frame count is not the number of times.
 */
async function decodeToCache(
  spec: Pick<DatasetSpec, 'source' | 'input' | 'crop' | 'maxFrames'>,
  path: string,
  o: LoadOptions,
  video: VideoInfo | undefined,
  times: (() => Promise<Float64Array | null>) | undefined,
): Promise<FrameCacheWriter | null> {
  const writer = await FrameCacheWriter.create(path, spec.input.width, spec.input.height);
  const frames = spec.maxFrames ? Math.min(spec.maxFrames, video?.frames ?? Infinity) : video?.frames;
  if (frames) {
    writer.expectedFrames = frames;
    try {
      assertDiskRoom(path, frames * (writer.frameBytes + 8));
    } catch (e) {
      await writer.abort();
      throw e;
    }
  }
  let promised: Promise<Float64Array | null> | undefined;
  try {
    for await (const f of decodeFrames(spec.source, { width: spec.input.width, height: spec.input.height, crop: spec.crop }, {
      signal: o.signal,
      onProgress: o.onProgress,
      expectedFrames: video?.frames,
      maxFrames: spec.maxFrames,
      fps: video?.fps,
      frameTimesS: times && (() => (promised = times().then((t) => ((writer.expectedFrames = t?.length ?? 0), t)))),
      // append() copies the frame into the writer's buffer before the next is asked for.
      lend: true,
    })) {
      await writer.append(f.rgb, f.ptsS);
    }
    const known = promised && (await promised);
    if (known && writer.count !== (spec.maxFrames ? Math.min(spec.maxFrames, known.length) : known.length)) {
      await writer.abort();
      return null;
    }
    return writer;
  } catch (e) {
    // Cancel or failure: delete the partial file so no later run can trust it.
    await writer.abort();
    if (e instanceof FrameCountMismatchError || e instanceof FrameTimesUnavailableError) return null;
    throw e;
  }
}

/** Says which part of the video the labels' times span, when frames outside it are dropped. */
export function coverageWarning(labels: LabelSet, frameTimesS: Float64Array, offsetMs: number, unmatchedFrames: number): string | null {
  if (labels.key !== 'time' || unmatchedFrames === 0 || frameTimesS.length === 0) return null;
  const t = labels.rows.map((r) => r.timeS).filter((x): x is number => Number.isFinite(x));
  if (t.length === 0) return null;
  const lo = Math.min(...t) + offsetMs / 1000;
  const hi = Math.max(...t) + offsetMs / 1000;
  const v0 = frameTimesS[0];
  const v1 = frameTimesS[frameTimesS.length - 1];
  if (lo <= v0 + 0.5 && hi >= v1 - 0.5) return null;
  return (
    `${labels.path} covers ${lo.toFixed(2)}-${hi.toFixed(2)} s of a video spanning ${v0.toFixed(2)}-${v1.toFixed(2)} s; ` +
    `${unmatchedFrames} of ${frameTimesS.length} frames have no label and are left out (check --offset-ms, or that the log and video are the same drive)`
  );
}

/** Where labels come from when none are named: the image folder itself (Sully, Udacity sim, Donkey tub). */
function labelSource(spec: DatasetSpec): string {
  if (spec.labels) return spec.labels;
  if (isImageSource(spec.source)) return isSequencePattern(spec.source) ? dirname(spec.source) : spec.source;
  throw new UserError(`no labels given for "${spec.source}"; pass a label file (--labels FILE: CSV with a time or frame column and a steering column)`);
}

/**
 * Loads a data set: labels, frames (from the cache when it is valid, else
 * decoded into it), and the alignment between them. Throws UserError when
 * nothing matches; partial coverage is a warning.
 */
export async function loadDataset(spec: DatasetSpec, o: LoadOptions): Promise<Dataset> {
  checkSpec(spec);
  const labels = await readLabels(labelSource(spec), spec.labelOptions ?? {});
  const { key, path } = await cacheKey(
    { source: spec.source, width: spec.input.width, height: spec.input.height, crop: spec.crop, maxFrames: spec.maxFrames, hashContent: o.hashContent },
    o.cacheDir,
  );
  let store = openFrameCache(path, key);
  const cacheHit = store !== null;
  if (!store) store = await buildCache(spec, key, path, o);
  else o.onProgress?.({ done: store.count, total: store.count, etaS: 0 });
  const meta = store.meta;
  try {
    const warnings = [...(meta.warnings ?? []), ...labels.warnings];
    const offsetMs = spec.offsetMs ?? 0;
    const maxGapMs = spec.maxGapMs ?? defaultMaxGapMs(labels);
    const aligned = matchLabels(store, labels, { source: spec.source, offsetMs, maxGapMs, allowFrameGaps: spec.allowFrameGaps });
    const { anglesDeg, report } = aligned;
    if (report.matched === 0) {
      throw new UserError(
        `no frame of "${spec.source}" matched a label in ${labels.path} (by ${report.method}); check --offset-ms, the time column's units, or that the labels belong to this video`,
      );
    }
    warnings.push(...describeAlignment(report, store.count).map((w) => `${basename(labels.path)}: ${w}`));
    const cover = coverageWarning(labels, store.timestampsS, offsetMs, report.unmatchedFrames);
    if (cover) warnings.push(cover);
    // Samples in time order: for image folders that is the label rows' order
    // (name order groups cameras, and a block split over it would leak side
    // views of a validation moment into training); otherwise frame order.
    const order = aligned.rowOrder ?? matchedFrames(anglesDeg);
    const sampleFrame = Int32Array.from(order);
    const kept = Float32Array.from(order, (i) => anglesDeg[i]);
    return {
      spec,
      video: meta.video,
      frames: store,
      labels,
      sampleFrame,
      anglesDeg: kept,
      alignment: report,
      warnings,
      cachePath: path,
      cacheHit,
    };
  } catch (e) {
    store.close();
    throw e;
  }
}

/** Indices of the frames that received a label (angle not NaN), ascending. */
function matchedFrames(anglesDeg: Float32Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < anglesDeg.length; i++) if (!Number.isNaN(anglesDeg[i])) out.push(i);
  return out;
}
