/**
 * The label-lag doctor's report (dataset.lag) as the Data set view draws it
 * (pure): the score per offset as chart points, the peak, the in-step band,
 * and the verdict in words, with the --offset-ms to use.
 */
import { IN_STEP_MS, type LagCheck } from '../../../src/contract/index.ts';
import type { XY } from './decimate.ts';

/** The curve (offset ms -> correlation; offsets without a score are left out) and the peak when there is evidence. */
export function lagSeries(c: LagCheck): { curve: XY[]; peak: XY | null; band: { from: number; to: number; label: string } } {
  const curve = c.curve.flatMap((p) => (p.score === null ? [] : [{ x: p.offsetMs, y: p.score }]));
  const peak = c.offsetMs === null || c.peakScore === null ? null : { x: c.offsetMs, y: c.peakScore };
  return { curve, peak, band: { from: -IN_STEP_MS, to: IN_STEP_MS, label: `in step (±${IN_STEP_MS} ms)` } };
}

/** One sentence per fact: what to do with the offset, how sure, and what may stop the offset from applying. */
export function lagVerdict(c: LagCheck): string[] {
  if (c.offsetMs === null) {
    return [
      `No evidence: ${c.reason ?? 'the picture gives nothing to measure'}. Leave the offset as it is.`,
      'Yaw shows as distant scenery sliding sideways: a featureless sky or a static picture gives nothing to measure.',
      ...c.warnings,
    ];
  }
  const out = [
    c.inStep
      ? `In step: the best offset is ${c.offsetMs} ms, within ${IN_STEP_MS} ms of 0 (a car's yaw trails its wheel by about that much); keep --offset-ms 0.`
      : `The labels are out of step: add ${c.offsetMs} ms to the label times (${c.suggestedFlag}).`,
    `Confidence ${c.confidence.toFixed(2)} (${c.evidence})${c.peakScore === null ? '' : `: the picture's sideways motion follows the steering with correlation ${c.peakScore.toFixed(2)}`}` +
      `${c.uncertaintyMs === null ? '' : `; leaving out each tenth of the drive moves the estimate by about ${c.uncertaintyMs} ms`}.`,
  ];
  if (!c.inStep && c.matchedBy !== 'time') {
    out.push(`These labels are matched by ${c.matchedBy === 'frame' ? 'frame index' : 'image name'}, which an offset does not shift; match them by time to apply it.`);
  }
  return [...out, ...c.warnings];
}
