/**
 * The lab's open data sets: opened through video/ (frames land in the
 * workspace's frame cache), summarised as a DatasetOverview, read back frame
 * by frame for the scrubber, and the demo drive (lab/workspace.ts). Pixels
 * leave as RGB; the front ends encode them for their screen.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { CropSuggestion } from '../video/crop-suggest.ts';
import type { LagReport } from '../video/lag-doctor.ts';
import type { DatasetPart } from '../video/multi.ts';
import type { DatasetOverview } from '../video/overview.ts';
import type { Dataset, DatasetSpec, DecodeProgress } from '../video/types.ts';
import { UserError } from '../errors.ts';
import { videoSpan } from '../experiments/dataset-record.ts';
import { workspacePaths } from '../experiments/store.ts';
import { ensureDemoDrive } from './workspace.ts';
import { sourceFrameOf, type SourceFrame, type SourcePicture } from './source-frame.ts';

/** How many data sets stay open at once (each holds a frame-cache file handle). */
const MAX_OPEN = 4;

export interface OpenDataset {
  id: string;
  dataset: Dataset;
  /** Every video's spec (one for a single video): what an experiment on this data set loads. */
  specs: DatasetSpec[];
  /** The suggested crop once computed (it decodes a sample of the drive; asked for again on every preview). */
  suggestion?: Promise<CropSuggestion>;
}

/** One sample's frame at the model input size, as RGB bytes (width x height x 3). */
export interface SampleFrame {
  sample: number;
  frameIndex: number;
  timeS: number;
  angleDeg: number;
  width: number;
  height: number;
  rgb: Uint8Array;
}

/** The first frame of the first video at preview size (at most 320 px wide), with the crop and the suggested one. */
export interface DatasetPreview extends SourcePicture {
  suggestion: CropSuggestion;
}

type Progress = (p: DecodeProgress) => void;

export interface LabDatasets {
  /** Opens the videos as one data set (decoding into the frame cache on a miss) and summarises it. */
  open(specs: DatasetSpec[], o?: { onDecode?: Progress }): Promise<DatasetOverview>;
  /** Opens the demo drive of `frames` frames at `input`, synthesising it into the workspace once. */
  demo(o: { frames: number; input: { width: number; height: number }; onSynth?(frames: number): void; onSynthProgress?: Progress; onDecode?: Progress }): Promise<DatasetOverview>;
  frame(datasetId: string, sample: number): SampleFrame;
  preview(datasetId: string): Promise<DatasetPreview>;
  /** One sample's uncropped frame at source resolution (at most 640 px wide), decoded on request. */
  sourceFrame(datasetId: string, sample: number): Promise<SourceFrame>;
  /**
   * The label-lag doctor (video/lag-doctor.ts) on the data set's first video
   * with its labels, label options and crop: the offset to add to the raw
   * label times. A data set of several videos says so in the warnings.
   */
  lag(datasetId: string, o?: { signal?: AbortSignal; onDecode?: Progress }): Promise<LagReport>;
  /** An open data set; a UserError when it is not (any more). */
  get(datasetId: string): OpenDataset;
  closeAll(): void;
}

function datasetId(specs: DatasetSpec[]): string {
  // One video hashes its spec alone, as before this took several (ids stay stable across versions).
  return createHash('sha1').update(JSON.stringify(specs.length === 1 ? specs[0] : specs)).digest('hex').slice(0, 12);
}

/** What the Data set view shows of an open data set (contract DatasetOverview). */
function overview(
  id: string, specs: DatasetSpec[], dataset: Dataset, parts: DatasetPart[],
  x: { angleStats: (a: Float32Array) => DatasetOverview['stats']; openS: number },
): DatasetOverview {
  const ts = dataset.frames.timestampsS;
  const l = dataset.labels;
  return {
    datasetId: id,
    spec: { ...specs[0] },
    video: { ...dataset.video },
    labels: { path: l.path, format: l.format, units: l.units, unitsInferred: l.unitsInferred, sign: l.sign, key: l.key, rows: l.rows.length },
    stats: x.angleStats(dataset.anglesDeg),
    alignment: { ...dataset.alignment, gaps: dataset.alignment.gaps.map((g) => ({ ...g })) },
    warnings: [...dataset.warnings],
    sampleFrame: Array.from(dataset.sampleFrame),
    sampleTimeS: Array.from(dataset.sampleFrame, (f) => ts[f] ?? 0),
    anglesDeg: Array.from(dataset.anglesDeg),
    cacheHit: dataset.cacheHit,
    openS: x.openS,
    ...(parts.length > 1
      ? { videos: parts.map((p) => ({ ...videoSpan(p), matched: p.alignment.matched, droppedFrames: p.alignment.unmatchedFrames })) }
      : {}),
  };
}

/**
 * The suggested crop of an open data set, computed once: frames with a
 * label, sampled over every video of the first one's picture size (the
 * crop is shared, so a video of another size could not use it anyway).
 */
function suggestionOf(d: OpenDataset): Promise<CropSuggestion> {
  d.suggestion ??= (async () => {
    const { suggestDriveCrop } = await import('../video/sample.ts');
    const { datasetParts } = await import('../video/multi.ts');
    const parts = datasetParts(d.dataset);
    const first = parts[0].video;
    const same = parts.filter((p) => p.video.width === first.width && p.video.height === first.height);
    return suggestDriveCrop(same.map((p) => ({
      source: p.spec.source,
      // Samples to this video's own frame indices (the store numbers frames over all videos).
      frames: Array.from(d.dataset.sampleFrame.subarray(p.firstSample, p.firstSample + p.samples), (f) => f - p.firstFrame),
      durationS: p.video.durationS,
    })), first);
  })();
  // A failed sample is not remembered: the next preview tries again.
  d.suggestion.catch(() => (d.suggestion = undefined));
  return d.suggestion;
}

/** The first video's first frame at most 320 px wide, its crop, and the suggested crop. */
async function previewOf(d: OpenDataset): Promise<DatasetPreview> {
  const { dataset } = d;
  const { decodeFrames } = await import('../video/decode.ts');
  const { datasetParts } = await import('../video/multi.ts');
  // The first video's frame (a data set of several videos shares one crop and input size).
  const v = datasetParts(dataset)[0].video;
  // Even sizes: ffmpeg's scaler wants them for yuv sources.
  const scale = Math.min(1, 320 / v.width);
  const width = Math.max(2, Math.round((v.width * scale) / 2) * 2);
  const height = Math.max(2, Math.round((v.height * scale) / 2) * 2);
  const ac = new AbortController();
  let rgb: Uint8Array | null = null;
  try {
    for await (const fr of decodeFrames(v.path, { width, height }, { signal: ac.signal, maxFrames: 1 })) {
      rgb = fr.rgb;
      break;
    }
  } finally {
    ac.abort();
  }
  if (!rgb) throw new UserError(`${v.path}: no frame could be decoded for the preview`);
  const crop = dataset.spec.crop ?? { top: 0, bottom: 0, left: 0, right: 0 };
  return { sourceWidth: v.width, sourceHeight: v.height, width, height, crop, rgb, suggestion: await suggestionOf(d) };
}

/** One labelled sample's frame. */
function frameOf({ dataset }: OpenDataset, sample: number): SampleFrame {
  if (sample >= dataset.sampleFrame.length) throw new UserError(`sample ${sample} is past the end (${dataset.sampleFrame.length} samples)`);
  const f = dataset.sampleFrame[sample];
  return {
    sample, frameIndex: f, timeS: dataset.frames.timestampsS[f] ?? 0, angleDeg: dataset.anglesDeg[sample],
    width: dataset.frames.width, height: dataset.frames.height, rgb: dataset.frames.read(f),
  };
}

export function createLabDatasets(o: { workspace: string }): LabDatasets {
  const open = new Map<string, OpenDataset>();
  const paths = workspacePaths(o.workspace);

  function remember(id: string, dataset: Dataset, specs: DatasetSpec[]): void {
    open.get(id)?.dataset.frames.close();
    open.delete(id);
    open.set(id, { id, dataset, specs });
    while (open.size > MAX_OPEN) {
      const [oldest] = open.keys();
      open.get(oldest)?.dataset.frames.close();
      open.delete(oldest);
    }
  }

  async function openSpecs(specs: DatasetSpec[], onDecode?: Progress): Promise<DatasetOverview> {
    const t0 = performance.now();
    const { loadDatasets, datasetParts } = await import('../video/multi.ts');
    const { angleStats } = await import('../data/stats.ts');
    mkdirSync(paths.cache, { recursive: true });
    const dataset = await loadDatasets(specs, {
      cacheDir: paths.cache,
      onProgress: onDecode,
    });
    const id = datasetId(specs);
    remember(id, dataset, specs);
    return overview(id, specs, dataset, datasetParts(dataset), { angleStats, openS: (performance.now() - t0) / 1000 });
  }

  function get(id: string): OpenDataset {
    const d = open.get(id);
    if (!d) throw new UserError(`data set ${id} is not open any more; open it again`);
    return d;
  }

  return {
    get,
    open: (specs, x = {}) => openSpecs(specs, x.onDecode),
    async demo(x) {
      // Synthesised once per length into the workspace; later opens reuse the files and the frame cache.
      const drive = await ensureDemoDrive(o.workspace, { frames: x.frames, onSynth: (_dir, n) => x.onSynth?.(n), onProgress: x.onSynthProgress });
      return openSpecs([{ source: drive.videoPath, labels: drive.labelsPath, input: x.input }], x.onDecode);
    },
    frame: (id, sample) => frameOf(get(id), sample),
    preview: (id) => previewOf(get(id)),
    sourceFrame: (id, sample) => sourceFrameOf(get(id).dataset, sample),
    async lag(id, x = {}) {
      const { specs } = get(id);
      const { diagnoseLag } = await import('../video/lag-doctor.ts');
      const first = specs[0];
      mkdirSync(paths.cache, { recursive: true });
      const r = await diagnoseLag(
        { source: first.source, labels: first.labels, labelOptions: first.labelOptions, crop: first.crop },
        { cacheDir: paths.cache, signal: x.signal, onProgress: x.onDecode },
      );
      if (specs.length > 1) r.warnings.push(`measured on the first of ${specs.length} videos (${first.source}); each video may be out of step by its own amount`);
      return r;
    },
    closeAll() {
      for (const d of open.values()) d.dataset.frames.close();
      open.clear();
    },
  };
}
