/**
 * A run config file and the data paths of train, compare and demo: the
 * config's RunConfig fields plus its "data" section, and videos paired with
 * label files (flags win over the file), checked before anything slow starts.
 */
import { UserError } from '../../errors.ts';
import type { LabelOptions } from '../../data/types.ts';
import type { RunConfigInput } from '../../train/config.ts';
import type { DatasetSpec } from '../../video/types.ts';

/** Data options a config file may carry under "data" (CLI flags override them). */
export interface DataSection {
  /** One video, or several (then `labels` lists one label file per video, in the same order). */
  video?: string | string[];
  labels?: string | string[];
  maxFrames?: number;
  offsetMs?: number;
  maxGapMs?: number;
  allowFrameGaps?: boolean;
  crop?: { top: number; bottom: number; left: number; right: number };
  labelOptions?: LabelOptions;
}

/**
 * Reads a run config file: the RunConfig fields (every one optional, see
 * src/train/config.ts) plus an optional "data" section. Unknown keys are an
 * error, so a typo does not silently fall back to a default.
 */
export async function readConfigFile(path: string): Promise<{ run: RunConfigInput; data: DataSection }> {
  const { readFileSync, existsSync } = await import('node:fs');
  const { RunConfig } = await import('../../train/config.ts');
  if (!existsSync(path)) throw new UserError(`config file ${path} does not exist`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UserError(`config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new UserError(`config file ${path} must hold a JSON object`);
  const { data, ...run } = raw as Record<string, unknown>;
  const { describeConfigIssues } = await import('../../train/config-errors.ts');
  const parsed = RunConfig.safeParse(run);
  if (!parsed.success) throw new UserError(`config file ${path}: ${describeConfigIssues(RunConfig, parsed.error.issues)}`);
  const { DataSectionSchema } = await import('./_data-section.ts');
  const d = DataSectionSchema.safeParse(data ?? {});
  if (!d.success) throw new UserError(`config file ${path}: ${describeConfigIssues(DataSectionSchema, d.error.issues, ['data'])}`);
  return { run: run as RunConfigInput, data: d.data as DataSection };
}

const asList = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/**
 * Pairs videos with label files by order (flags win over the config file's
 * "data" section, videos and labels each as a whole) and checks that every
 * path exists before anything slow starts. No labels at all is allowed (image
 * folders carry their own); otherwise the counts must match.
 */
export async function pairDataPaths(flags: { video?: string[]; labels?: string[] }, data: DataSection): Promise<{ video: string; labels?: string }[]> {
  const videos = flags.video?.length ? flags.video : asList(data.video);
  const labels = flags.labels?.length ? flags.labels : asList(data.labels);
  if (videos.length === 0) return [{ video: await checkDataPaths(undefined, undefined) }];
  if (labels.length > 0 && labels.length !== videos.length) {
    throw new UserError(
      `got ${videos.length} video(s) and ${labels.length} label file(s); they are paired by order, so give one --labels after each --video: --video a.mp4 --labels a.csv --video b.mp4 --labels b.csv`,
    );
  }
  const pairs = videos.map((video, i) => ({ video, labels: labels[i] }));
  for (const p of pairs) await checkDataPaths(p.video, p.labels);
  return pairs;
}

/**
 * The lab's data set from paired paths and the options every video
 * shares: one spec for one video (recorded exactly as before), else a list.
 */
export function datasetFromPairs(pairs: { video: string; labels?: string }[], common: Omit<DatasetSpec, 'source' | 'labels'>): DatasetSpec | DatasetSpec[] {
  const specs = pairs.map((p) => ({ source: p.video, labels: p.labels, ...common }));
  return specs.length === 1 ? specs[0] : specs;
}

/** Checks the data paths exist before anything slow starts. */
export async function checkDataPaths(video: string | undefined, labels: string | undefined): Promise<string> {
  const { existsSync } = await import('node:fs');
  if (!video) throw new UserError('no video given: use --video FILE (and --labels FILE), or `steerlab demo` for the built-in synthetic drive');
  if (!existsSync(video)) throw new UserError(`video ${video} does not exist`);
  if (labels && !existsSync(labels)) throw new UserError(`labels ${labels} do not exist`);
  return video;
}
