/**
 * The closed-loop autonomy estimate of a finished run (targets/autonomy.ts)
 * on its validation frames, for the model and the zero and mean predictors,
 * with the speed read from the label file where it has one.
 *
 * Speed, per label format (the column, and the unit it is read in):
 * - Udacity simulator `driving_log.csv`: `speed`, miles per hour (the
 *   simulator's dashboard), converted to m/s.
 * - Udacity challenge `steering.csv`: `speed`, m/s (the CAN bus value).
 * - Generic CSV: `speed_mps` / `speed_ms` (m/s), `speed_kmh` / `speed_kph`
 *   (km/h), `speed_mph` (mph), or a bare `speed` read as m/s.
 * - DonkeyCar tubs, Sully Chen's data.txt and the synthetic drive's labels
 *   carry no speed: the constant `defaultSpeedMps` (15 m/s), said so in the
 *   record's `speed` text.
 * Speed is matched to frames the way the angles were (time: interpolated;
 * frame index; image name: the matched rows in order).
 *
 * Time: a video's frame times are the recording's, but an image folder plays
 * at a nominal 30 fps in name order; there the label rows' times are used,
 * else the Udacity simulator's image-name clock (center_YYYY_MM_DD_HH_MM_SS_mmm),
 * whose jumps between sessions are cuts like the gaps between validation blocks.
 */
import { alignByFrame, alignByTime } from '../data/align.ts';
import type { LabelRow, LabelSet } from '../data/types.ts';
import { simStampMs } from '../data/udacity.ts';
import { estimateAutonomy, AUTONOMY_DEFAULTS } from '../targets/autonomy.ts';
import { finiteMean } from '../targets/metrics.ts';
import type { AutonomyEvaluation, AutonomySettingsInput } from '../targets/metrics-types.ts';
import { AutonomySettings } from '../targets/metrics-types.ts';
import { datasetParts, type DatasetPart } from '../video/multi.ts';
import type { Dataset } from '../video/types.ts';

const MPH = 0.44704; // m/s per mile per hour
const KMH = 1 / 3.6; // m/s per km/h

/** The speed column of a label set and its factor to m/s, or null when the format has none. */
export function speedColumn(labels: Pick<LabelSet, 'format' | 'rows'>): { column: string; unit: string; toMps: number } | null {
  const keys = new Set(labels.rows.slice(0, 50).flatMap((r) => Object.keys(r.extras)));
  const find = (name: string): string | undefined => [...keys].find((k) => k.toLowerCase() === name);
  if (labels.format === 'udacity-sim') return find('speed') ? { column: find('speed')!, unit: 'mph', toMps: MPH } : null;
  if (labels.format === 'udacity-challenge') return find('speed') ? { column: find('speed')!, unit: 'm/s', toMps: 1 } : null;
  if (labels.format !== 'csv') return null;
  const known: [string, string, number][] = [
    ['speed_mps', 'm/s', 1], ['speed_ms', 'm/s', 1], ['speed_kmh', 'km/h', KMH], ['speed_kph', 'km/h', KMH], ['speed_mph', 'mph', MPH], ['speed', 'm/s', 1],
  ];
  for (const [name, unit, toMps] of known) {
    const column = find(name);
    if (column) return { column, unit, toMps };
  }
  return null;
}

/** Speed (m/s) per sample of one part, NaN where no row matched; null when its labels cannot be matched again. */
function partSpeeds(ds: Dataset, part: DatasetPart, col: { column: string; toMps: number }): Float64Array | null {
  const rows = part.labels.rows.map((r) => ({ ...r, steeringDeg: (r.extras[col.column] ?? NaN) * col.toMps }));
  const out = new Float64Array(part.samples).fill(NaN);
  if (part.labels.key === 'image') {
    // Image samples are the matched rows in row order: one to one when every row matched.
    if (part.alignment.unmatchedLabels !== 0 || rows.length !== part.samples) return null;
    rows.forEach((r, j) => (out[j] = r.steeringDeg));
    return out;
  }
  let perFrame: Float32Array;
  if (part.labels.key === 'time') {
    const times = Float64Array.from({ length: part.frames }, (_, f) => ds.frames.timestampsS[part.firstFrame + f] - part.timeOffsetS);
    perFrame = alignByTime(times, rows, { offsetMs: part.alignment.offsetMs, maxGapMs: part.alignment.maxGapMs }).anglesDeg;
  } else perFrame = alignByFrame(part.frames, rows, { fps: part.video.fps }).anglesDeg;
  for (let j = 0; j < part.samples; j++) out[j] = perFrame[ds.sampleFrame[part.firstSample + j] - part.firstFrame] ?? NaN;
  return out;
}

/** Recording times (s) of an image part's rows, one per sample, or null (frame times then). */
function partClock(part: DatasetPart): { timeS: Float64Array; text: string } | null {
  const rows: LabelRow[] = part.labels.rows;
  if (part.labels.key !== 'image' || part.alignment.unmatchedLabels !== 0 || rows.length !== part.samples) return null;
  if (rows.every((r) => r.timeS !== undefined && Number.isFinite(r.timeS))) return { timeS: Float64Array.from(rows, (r) => r.timeS!), text: 'label-row times' };
  const ms = rows.map((r) => (r.image === undefined ? null : simStampMs(r.image)));
  if (ms.some((x) => x === null)) return null;
  return { timeS: Float64Array.from(ms, (x) => ((x as number) - (ms[0] as number)) / 1000), text: 'image-name times (Udacity simulator clock)' };
}

/**
 * Recording time (s) per sample where frame times are not the recording's
 * (NaN elsewhere: the frame time is used), or null when every part has its own.
 */
export function sampleClock(ds: Dataset): { timeS: Float64Array | null; text: string } {
  const out = new Float64Array(ds.anglesDeg.length).fill(NaN);
  const used: string[] = [];
  for (const part of datasetParts(ds)) {
    const c = partClock(part);
    if (!c) continue;
    out.set(c.timeS, part.firstSample);
    used.push(c.text);
  }
  return used.length ? { timeS: out, text: [...new Set(used)].join(', ') } : { timeS: null, text: 'frame times' };
}

/**
 * Speed in m/s per sample of the data set (NaN where unknown: the estimator
 * uses the default there), or null with the reason when the labels have none.
 */
export function sampleSpeeds(ds: Dataset): { speedMps: Float64Array | null; text: string } {
  const parts = datasetParts(ds);
  const out = new Float64Array(ds.anglesDeg.length).fill(NaN);
  const used: string[] = [];
  for (const part of parts) {
    const col = speedColumn(part.labels);
    if (!col) continue;
    let s: Float64Array | null = null;
    try {
      s = partSpeeds(ds, part, col);
    } catch {
      s = null; // a speed column that cannot be matched again: the default speed, as for labels without one
    }
    if (!s) continue;
    out.set(s, part.firstSample);
    used.push(`column "${col.column}" (${col.unit}${col.toMps === 1 ? '' : ', converted to m/s'})`);
  }
  if (used.length === 0) return { speedMps: null, text: '' };
  return { speedMps: out, text: `labels ${[...new Set(used)].join(', ')}${used.length < parts.length ? '; the default elsewhere' : ''}` };
}

/**
 * Autonomy of the model, the zero and the mean (training split) predictors on
 * the validation samples (their frame times), with the run's settings.
 */
export function evaluateAutonomy(
  ds: Dataset,
  v: { valIndices: ArrayLike<number>; timeS: ArrayLike<number>; predDeg: ArrayLike<number>; trueDeg: ArrayLike<number>; trainAnglesDeg: ArrayLike<number> },
  settings: AutonomySettingsInput | undefined,
): AutonomyEvaluation {
  const s = settings ? AutonomySettings.parse(settings) : { ...AUTONOMY_DEFAULTS };
  const speeds = sampleSpeeds(ds);
  const speedMps = speeds.speedMps ? Float64Array.from(v.valIndices, (k) => speeds.speedMps![k]) : null;
  const fromLabels = speedMps !== null && speedMps.some(Number.isFinite);
  const clock = sampleClock(ds);
  const timeS = clock.timeS ? Float64Array.from(v.valIndices, (k, i) => (Number.isFinite(clock.timeS![k]) ? clock.timeS![k] : v.timeS[i])) : v.timeS;
  const drive = (steerDeg: ArrayLike<number>) => estimateAutonomy({ steerDeg, trueDeg: v.trueDeg, timeS, speedMps }, s);
  const n = v.trueDeg.length;
  return {
    model: drive(v.predDeg),
    zero: drive(new Float64Array(n)),
    mean: drive(new Float64Array(n).fill(finiteMean(v.trainAnglesDeg))),
    settings: s,
    speed: fromLabels ? speeds.text : `constant ${s.defaultSpeedMps} m/s (the labels have no speed column)`,
    speedFromLabels: fromLabels,
    clock: clock.text,
  };
}
