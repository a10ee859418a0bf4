/**
 * An experiment's data set as its record holds it: the video specs (one, or
 * several trained on as one, see video/multi.ts), how experiment.json writes
 * and reads them, and the summary of sizes and split per video.
 */
import { UserError } from '../errors.ts';
import { datasetParts, type DatasetPart } from '../video/multi.ts';
import type { Dataset, DatasetSpec } from '../video/types.ts';
import type { DatasetTrainingData } from './training-data.ts';
import type { DatasetSummary, VideoSpan } from './types.ts';

/** The specs of an experiment's data set: a list stays a list, one spec becomes a list of one. */
export function specList(dataset: DatasetSpec | DatasetSpec[]): DatasetSpec[] {
  const specs = Array.isArray(dataset) ? dataset : [dataset];
  if (specs.length === 0) throw new UserError('the data set names no video; give at least one');
  return specs;
}

/**
 * What experiment.json records as its data set: one spec as itself (as
 * always), several as { videos: [spec, ...] }. datasetSpecsOfRecord reads both.
 */
export function datasetRecord(specs: DatasetSpec[]): Record<string, unknown> {
  return specs.length === 1 ? { ...specs[0] } : { videos: specs.map((s) => ({ ...s })) };
}

/** The specs an experiment record's data set holds (see datasetRecord). */
export function datasetSpecsOfRecord(dataset: Record<string, unknown>): DatasetSpec[] {
  const videos = dataset.videos;
  const specs = Array.isArray(videos) ? (videos as DatasetSpec[]) : [dataset as unknown as DatasetSpec];
  return specs.map(upgradeSpec);
}

/**
 * A spec as older records wrote it: the label scale was `labelOptions.fullScaleDeg`
 * (now `labelFullScaleDeg`; `fullScaleDeg` is the target scale). Read as is, the
 * old key would be ignored and normalised labels silently read at the default scale.
 */
function upgradeSpec(spec: DatasetSpec): DatasetSpec {
  const lo = spec.labelOptions as (DatasetSpec['labelOptions'] & { fullScaleDeg?: number }) | undefined;
  if (!lo || lo.fullScaleDeg === undefined) return spec;
  const { fullScaleDeg, ...rest } = lo;
  return { ...spec, labelOptions: { ...rest, labelFullScaleDeg: rest.labelFullScaleDeg ?? fullScaleDeg } };
}

/** Samples of [start, end) that are in a sorted index list. */
function countIn(sorted: Int32Array, start: number, end: number): number {
  let n = 0;
  for (const i of sorted) if (i >= start && i < end) n++;
  return n;
}

/** Where one video of a data set sits: the fields every per-video summary starts from. */
export function videoSpan(p: DatasetPart): VideoSpan {
  return { source: p.spec.source, labels: p.spec.labels ?? null, frames: p.frames, firstSample: p.firstSample, samples: p.samples };
}

/** What the experiment record says about its data set: sizes, split, and each video's share when there are several. */
export function summarizeDataset(ds: Dataset, td: DatasetTrainingData): DatasetSummary {
  const parts = datasetParts(ds);
  const several = parts.length > 1;
  const labelPaths = parts.map((p) => p.spec.labels).filter((l): l is string => Boolean(l));
  return {
    source: several ? parts.map((p) => p.spec.source).join(' + ') : ds.spec.source,
    labels: several ? (labelPaths.length ? labelPaths.join(' + ') : null) : (ds.spec.labels ?? null),
    input: { width: ds.frames.width, height: ds.frames.height },
    frames: ds.frames.count,
    samples: ds.anglesDeg.length,
    trainSamples: td.trainIndices.length,
    valSamples: td.valIndices.length,
    valBlocks: td.valBlocks,
    fps: ds.video.fps,
    warnings: ds.warnings,
    ...(several && {
      videos: parts.map((p) => ({
        ...videoSpan(p),
        trainSamples: countIn(td.trainIndices, p.firstSample, p.firstSample + p.samples),
        valSamples: countIn(td.valIndices, p.firstSample, p.firstSample + p.samples),
        fps: p.video.fps,
        timeOffsetS: p.timeOffsetS,
        cacheHit: p.cacheHit,
      })),
    }),
  };
}
