/**
 * The lab studies over the app boundary: list, start and cancel requests,
 * and their push events (progress, finished with the measurements and the
 * conclusions computed from them, failed/cancelled). The measurement object
 * is study-specific (see src/studies/*), so its schema is permissive except
 * for `conclusions`, which every study has; the renderer reads the
 * study-specific fields through the type map below.
 *
 * Non-finite numbers (a diverged loss) cannot cross JSON: the backend sends
 * them as null, and readers treat null as "not finite".
 */
import { z } from 'zod';
import type { InitActivationMeasurements } from '../studies/init-activation.ts';
import type { ReluBlowupMeasurements } from '../studies/relu-blowup.ts';
import type { MultiLossMeasurements } from '../studies/multi-loss.ts';
import type { DeepCnnGradientsMeasurements } from '../studies/deep-cnn-gradients.ts';
import type { OutputHeadMeasurements } from '../studies/output-head.ts';
import type { BackpropVsGdMeasurements } from '../studies/backprop-vs-gd.ts';

const StudyName = z.string().min(1).max(64).regex(/^[a-z0-9-]+$/, 'study names are lower-case letters, digits and dashes');
const StudyRunId = z.string().min(1).max(200).regex(/^[A-Za-z0-9._-]+$/, 'ids are letters, digits, dot, dash, underscore');
/** Plain JSON option values (numbers, strings, booleans, lists of them); the study's own schema checks them in the backend. */
const OptionValue = z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.union([z.string(), z.number(), z.boolean()]))]);
export const StudyOptions = z.record(z.string().min(1).max(64), OptionValue);

/** One entry of the Experiment view's study presets. */
export const StudyInfo = z.object({
  name: StudyName,
  title: z.string(),
  description: z.string(),
  /** Every option with its default (plain JSON). */
  defaults: z.record(z.string(), z.unknown()),
  /** The overrides of a quick run (the CLI's --quick). */
  quickOptions: z.record(z.string(), z.unknown()),
  /** True when the study trains on a steering data set: the demo drive in the workspace, or the open data set passed as study.start datasetId. */
  usesDrive: z.boolean(),
});
export type StudyInfo = z.infer<typeof StudyInfo>;

/** A study's measurements: anything JSON, but `conclusions` is always a list of sentences computed from them. */
export const StudyResult = z.looseObject({
  conclusions: z.array(z.string()),
});
export type StudyResult = z.infer<typeof StudyResult>;

/** Replaces number with number | null in a measurement type, the way JSON carries non-finite values. */
export type Wire<T> = T extends number
  ? number | null
  : T extends [infer A, infer B]
    ? [Wire<A>, Wire<B>]
    : T extends (infer U)[]
      ? Wire<U>[]
      : T extends object
        ? { [K in keyof T]: Wire<T[K]> }
        : T;

/** Study name -> the measurement object that arrives in study.finished (conclusions included). */
export interface StudyResults {
  'init-activation': Wire<InitActivationMeasurements> & { conclusions: string[] };
  'relu-blowup': Wire<ReluBlowupMeasurements> & { conclusions: string[] };
  'multi-loss': Wire<MultiLossMeasurements> & { conclusions: string[] };
  'deep-cnn-gradients': Wire<DeepCnnGradientsMeasurements> & { conclusions: string[] };
  'output-head': Wire<OutputHeadMeasurements> & { conclusions: string[] };
  'backprop-vs-gd': Wire<BackpropVsGdMeasurements> & { conclusions: string[] };
}
export type KnownStudy = keyof StudyResults;

/** What study.history lists of a stored study (its measurements come with study.result: one can be 200 kB). */
export const StudyRecordHead = z.object({
  studyRunId: StudyRunId,
  name: StudyName,
  quick: z.boolean(),
  elapsedS: z.number().nonnegative(),
  /** ISO time the study finished. */
  finishedAt: z.string(),
});
export type StudyRecordHead = z.infer<typeof StudyRecordHead>;

/** A finished study as stored in the workspace (studies/results/<studyRunId>.json). */
export const StudyRecord = StudyRecordHead.extend({ result: StudyResult });
export type StudyRecord = z.infer<typeof StudyRecord>;

export const studyRequests = {
  'study.list': { args: z.object({}).strict(), result: z.array(StudyInfo) },
  /** Starts a study in the backend; progress and the result arrive as events carrying the returned id. */
  'study.start': {
    args: z.object({
      name: StudyName,
      quick: z.boolean().default(false),
      options: StudyOptions.default({}),
      /** Train on this open data set (its spec, label override and crop) instead of the demo drive; only for studies with usesDrive. */
      datasetId: StudyRunId.optional(),
    }).strict(),
    result: z.object({ studyRunId: StudyRunId }),
  },
  /** Finished studies stored in the workspace, oldest first (so a reload or a second window still shows them). */
  'study.history': { args: z.object({}).strict(), result: z.array(StudyRecordHead) },
  /** One stored study with its measurements and conclusions. */
  'study.result': { args: z.object({ studyRunId: StudyRunId }).strict(), result: StudyRecord },
  'study.cancel': { args: z.object({ studyRunId: StudyRunId }).strict(), result: z.object({ cancelled: z.boolean() }) },
} as const;

export const studyEvents = {
  'study.progress': z.object({
    studyRunId: z.string(),
    /** What the study is doing, in words ("training tanh + batchnorm (2/6)"). */
    stage: z.string(),
    done: z.number().nonnegative(),
    total: z.number().nonnegative(),
  }),
  'study.finished': z.object({
    studyRunId: z.string(),
    name: z.string(),
    quick: z.boolean(),
    result: StudyResult,
    /** Wall time of the whole study in seconds. */
    elapsedS: z.number().nonnegative(),
  }),
  'study.failed': z.object({
    studyRunId: z.string(),
    name: z.string(),
    /** True when the person cancelled it (error then says so). */
    cancelled: z.boolean(),
    error: z.string(),
    elapsedS: z.number().nonnegative(),
  }),
} as const;
