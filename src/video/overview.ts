/**
 * What a person sees of an opened data set (the app's Data set view): the
 * video, how its labels were read and matched, the angle statistics, and one
 * entry per usable sample. The lab builds it; contract/ sends it as is.
 */
import { z } from 'zod';
import { AngleStats } from '../data/stats.ts';
import { AlignmentReport, ANGLE_UNITS, LABEL_FORMATS, SIGN_CONVENTIONS } from '../data/types.ts';
import { DatasetSpec, VideoInfo } from './types.ts';

/**
 * One video of a several-video data set: its files and where its samples sit
 * in the concatenated set, [firstSample, firstSample + samples). The
 * overview below and the experiment record's data set summary extend it.
 */
export const VideoSpan = z.object({
  source: z.string(),
  labels: z.string().nullable(),
  frames: z.number().int(),
  firstSample: z.number().int(),
  samples: z.number().int(),
});
export type VideoSpan = z.infer<typeof VideoSpan>;

/** What the Data set view shows after opening a video (or several) and its labels. */
export const DatasetOverview = z.object({
  datasetId: z.string(),
  spec: DatasetSpec,
  video: VideoInfo,
  labels: z.object({
    path: z.string(),
    format: z.enum(LABEL_FORMATS),
    units: z.enum(ANGLE_UNITS),
    unitsInferred: z.boolean(),
    sign: z.enum(SIGN_CONVENTIONS),
    key: AlignmentReport.shape.method,
    rows: z.number().int(),
  }),
  stats: AngleStats,
  alignment: AlignmentReport,
  warnings: z.array(z.string()),
  /** One entry per usable sample: frame index, time in seconds, true angle in degrees. */
  sampleFrame: z.array(z.number().int()),
  sampleTimeS: z.array(z.number()),
  anglesDeg: z.array(z.number()),
  cacheHit: z.boolean(),
  /** Seconds spent opening (decode + align), for the status line. */
  openS: z.number(),
  /**
   * A data set of several videos: each one's file, labels and where its
   * samples sit (samples firstSample .. firstSample + samples - 1). Absent
   * for one video; then `video` and `labels` above describe it.
   */
  videos: z.array(VideoSpan.extend({
    matched: z.number().int(),
    droppedFrames: z.number().int(),
  })).optional(),
});
export type DatasetOverview = z.infer<typeof DatasetOverview>;
