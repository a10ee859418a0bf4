/**
 * Open data sets of this backend: opened through video/loadDataset (frames
 * land in the workspace cache), summarised for the Data set view, and read
 * back frame by frame for the scrubber.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Args, CropPreview, DatasetSummary, FrameImage, HandlerContext } from '../../contract/index.ts';
import type { CropSuggestion } from '../../video/crop-suggest.ts';
import type { Dataset, DatasetSpec } from '../../video/types.ts';
import { UserError } from '../../errors.ts';
import { videoSpan } from '../../experiments/dataset-record.ts';
import { workspacePaths } from '../../experiments/store.ts';
import { pngDataUrl } from '../png.ts';

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

export interface Datasets {
  open(args: Args<'dataset.open'>): Promise<DatasetSummary>;
  demo(args: Args<'dataset.demo'>): Promise<DatasetSummary>;
  frame(datasetId: string, sample: number): Promise<FrameImage>;
  preview(datasetId: string): Promise<CropPreview>;
  get(datasetId: string): OpenDataset;
  closeAll(): void;
}

/** Frame count of the demo drive; STEERLAB_DEMO_FRAMES makes it small for tests. */
export function demoFrames(asked: number | undefined, fallback: number): number {
  const env = Number(process.env.STEERLAB_DEMO_FRAMES);
  if (asked) return asked;
  return Number.isInteger(env) && env > 0 ? env : fallback;
}

function datasetId(specs: DatasetSpec[]): string {
  // One video hashes its spec alone, as before this took several (ids stay stable across versions).
  return createHash('sha1').update(JSON.stringify(specs.length === 1 ? specs[0] : specs)).digest('hex').slice(0, 12);
}

export function createDatasets(o: { workspace: string; emit: HandlerContext['emit'] }): Datasets {
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

  async function openSpecs(specs: DatasetSpec[]): Promise<DatasetSummary> {
    const t0 = performance.now();
    const { loadDatasets, datasetParts } = await import('../../video/multi.ts');
    const { angleStats } = await import('../../data/stats.ts');
    mkdirSync(paths.cache, { recursive: true });
    const dataset = await loadDatasets(specs, {
      cacheDir: paths.cache,
      onProgress: (p) => o.emit('progress', { task: 'decode', experimentId: null, done: p.done, total: p.total, etaS: p.etaS, message: `decoding ${p.done}/${p.total} frames` }),
    });
    const id = datasetId(specs);
    remember(id, dataset, specs);
    const stats = angleStats(dataset.anglesDeg);
    const ts = dataset.frames.timestampsS;
    const parts = datasetParts(dataset);
    return {
      datasetId: id,
      spec: { ...specs[0] },
      video: { ...dataset.video },
      labels: {
        path: dataset.labels.path,
        format: dataset.labels.format,
        units: dataset.labels.units,
        unitsInferred: dataset.labels.unitsInferred,
        sign: dataset.labels.sign,
        key: dataset.labels.key,
        rows: dataset.labels.rows.length,
      },
      stats,
      alignment: { ...dataset.alignment, gaps: dataset.alignment.gaps.map((g) => ({ ...g })) },
      warnings: [...dataset.warnings],
      sampleFrame: Array.from(dataset.sampleFrame),
      sampleTimeS: Array.from(dataset.sampleFrame, (f) => ts[f] ?? 0),
      anglesDeg: Array.from(dataset.anglesDeg),
      cacheHit: dataset.cacheHit,
      openS: (performance.now() - t0) / 1000,
      ...(parts.length > 1
        ? {
            videos: parts.map((p) => ({
              ...videoSpan(p),
              matched: p.alignment.matched, droppedFrames: p.alignment.unmatchedFrames,
            })),
          }
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
      const { suggestDriveCrop } = await import('../../video/sample.ts');
      const { datasetParts } = await import('../../video/multi.ts');
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

  function get(id: string): OpenDataset {
    const d = open.get(id);
    if (!d) throw new UserError(`data set ${id} is not open any more; open it again`);
    return d;
  }

  return {
    get,
    open: ({ more, ...first }) => openSpecs([first, ...(more ?? []).map((m) => ({ ...first, source: m.source, labels: m.labels }))]),
    async demo(args) {
      const { synthesizeDrive, DEMO_DRIVE } = await import('../../synth/index.ts');
      const frames = demoFrames(args.frames, DEMO_DRIVE.frames);
      const dir = join(paths.data, `demo-drive-${frames}f-seed${DEMO_DRIVE.seed ?? 1}`);
      let drive = { videoPath: join(dir, 'drive.mp4'), labelsPath: '' };
      // Synthesise once per size; later opens reuse the files (and the frame cache).
      const marker = join(dir, 'drive.json');
      if (!existsSync(marker)) {
        o.emit('progress', { task: 'synth', experimentId: null, done: 0, total: frames, etaS: null, message: `synthesising the demo drive (${frames} frames)` });
        const out = await synthesizeDrive(dir, {
          ...DEMO_DRIVE,
          frames,
          onProgress: (p: { done: number; total: number }) =>
            o.emit('progress', { task: 'synth', experimentId: null, done: p.done, total: p.total, etaS: null, message: `synthesising the demo drive ${p.done}/${p.total}` }),
        });
        drive = out;
        const { writeJsonAtomic } = await import('../../experiments/store.ts');
        writeJsonAtomic(marker, { videoPath: out.videoPath, labelsPath: out.labelsPath, frames: out.frames });
      } else {
        const { readJsonOrNull } = await import('../../experiments/store.ts');
        drive = readJsonOrNull(marker) as typeof drive;
      }
      return openSpecs([{ source: drive.videoPath, labels: drive.labelsPath, input: args.input }]);
    },
    async frame(id, sample) {
      const { dataset } = get(id);
      if (sample >= dataset.sampleFrame.length) throw new UserError(`sample ${sample} is past the end (${dataset.sampleFrame.length} samples)`);
      const f = dataset.sampleFrame[sample];
      const rgb = dataset.frames.read(f);
      return {
        sample,
        frameIndex: f,
        timeS: dataset.frames.timestampsS[f] ?? 0,
        angleDeg: dataset.anglesDeg[sample],
        width: dataset.frames.width,
        height: dataset.frames.height,
        dataUrl: pngDataUrl(rgb, dataset.frames.width, dataset.frames.height),
      };
    },
    async preview(id) {
      const { dataset } = get(id);
      const { decodeFrames } = await import('../../video/decode.ts');
      const { datasetParts } = await import('../../video/multi.ts');
      // The first video's frame (a data set of several videos shares one crop and input size).
      const v = datasetParts(dataset)[0].video;
      // Preview at most 320 px wide, even sizes (ffmpeg's scaler wants them for yuv sources).
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
      const suggestion = await suggestionOf(get(id));
      return { sourceWidth: v.width, sourceHeight: v.height, width, height, crop, dataUrl: pngDataUrl(rgb, width, height), suggestion };
    },
    closeAll() {
      for (const d of open.values()) d.dataset.frames.close();
      open.clear();
    },
  };
}
