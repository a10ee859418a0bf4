/**
 * From a point on a chart (time on the drive's clock, seconds) to a frame of
 * the open data set (pure): the Run detail and Compare views show the frame
 * behind a clicked prediction with dataset.frame.
 */

/** What sameDrive compares of one video's spec (a DatasetSpec's fields that decide which samples exist and in what order). */
export interface DriveSpec {
  source: string;
  labels?: string;
  offsetMs?: number;
  maxGapMs?: number;
  maxFrames?: number;
  crop?: { top: number; bottom: number; left: number; right: number };
}

/** The drive a run trained on, as its experiment recorded it; `specs` (RunDetail.drive) when the record was read. */
export interface DriveRef {
  source: string;
  input: { width: number; height: number };
  specs?: DriveSpec[];
}

/**
 * Index of the sample whose time is nearest `t` (sampleTimeS ascending, as
 * the data set summary lists it), or null when none lies within `tolS`
 * seconds (a point from another drive, or a time between videos).
 */
export function nearestSample(sampleTimeS: readonly number[], t: number, tolS: number): number | null {
  const n = sampleTimeS.length;
  if (!n || !Number.isFinite(t)) return null;
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (sampleTimeS[mid] <= t) lo = mid;
    else hi = mid;
  }
  const best = Math.abs(sampleTimeS[lo] - t) <= Math.abs(sampleTimeS[hi] - t) ? lo : hi;
  return Math.abs(sampleTimeS[best] - t) <= tolS ? best : null;
}

/**
 * Whether the open data set is the drive a run used: same source (a data set
 * of several videos records its sources joined with ' + ') and the same
 * model input size, so its frames are the ones the run saw.
 */
export function sameDrive(open: { spec: DriveSpec & { input: { width: number; height: number } }; videos?: unknown[] }, drive: DriveRef): boolean {
  const first = drive.source.split(' + ')[0];
  if (open.spec.source !== first || open.spec.input.width !== drive.input.width || open.spec.input.height !== drive.input.height) return false;
  const spec = drive.specs?.[0];
  if (!spec) return true;
  // With the recorded spec, sample k is the same frame only if the labels, their offset and the frame limit are too.
  const crop = (c: DriveSpec['crop']): string => JSON.stringify(c ?? { top: 0, bottom: 0, left: 0, right: 0 });
  const o = open.spec;
  return (open.videos?.length ?? 1) === drive.specs!.length && (o.labels ?? null) === (spec.labels ?? null) && (o.offsetMs ?? 0) === (spec.offsetMs ?? 0)
    && o.maxGapMs === spec.maxGapMs && o.maxFrames === spec.maxFrames && crop(o.crop) === crop(spec.crop);
}

/**
 * The validation point behind a clicked time of a run's predicted-vs-true
 * chart: its position in the run's validation arrays and, when the run
 * stored them (RunDetail.valSampleIndex), its sample index in the run's data
 * set, which names the frame exactly (times of two videos may coincide).
 */
export function valPointAt(valTimeS: readonly number[] | null, valSampleIndex: readonly number[] | null, t: number): { index: number; sample: number | null } | null {
  if (!valTimeS) return null;
  const index = nearestSample(valTimeS, t, 1e-3);
  if (index === null) return null;
  const sample = valSampleIndex?.[index];
  return { index, sample: sample === undefined ? null : sample };
}

/** The saliency toggle's choices, in order: off, then the methods of run.saliency. */
export const SALIENCY_CHOICES = [
  { value: 'off', label: 'off' },
  { value: 'visualbackprop', label: 'VisualBackProp' },
  { value: 'gradcam', label: 'Grad-CAM' },
] as const;
export type SaliencyChoice = (typeof SALIENCY_CHOICES)[number]['value'];
