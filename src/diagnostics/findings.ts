/**
 * Findings: plain-language sentences computed from measured numbers. Every
 * finding quotes the numbers in its `evidence`; thresholds are named
 * constants so a reader can see exactly what triggered it.
 */
import type { EvaluationDeg } from '../targets/metrics-types.ts';
import type { DiagnosticsSnapshot, Finding } from './types.ts';

/** First trunk layer's gradient norm below this fraction of the main head's: vanishing gradients. */
export const VANISHING_RATIO = 1e-3;
/** First trunk layer's gradient norm above this multiple of the head's: gradients explode toward the input. */
export const EXPLODING_RATIO = 1e3;
/** A layer whose update moves more than this fraction of its weight norm per step is unstable. */
export const EXPLODING_UPDATE_RATIO = 0.1;
/** Total gradient norm growing by more than this factor from the first to the last snapshot. */
export const EXPLODING_GROWTH = 100;
/** Fraction of ReLU units dead on the whole batch that earns a warning. */
export const DEAD_FRACTION_WARN = 0.5;
/** Fraction of tanh/sigmoid pre-activations beyond SATURATION_THRESHOLD that earns a warning. */
export const SATURATED_FRACTION_WARN = 0.5;
/** Fraction of head pre-activations beyond SATURATION_THRESHOLD that earns a warning. */
export const HEAD_SATURATED_WARN = 0.5;
/** Predictions spanning less than this fraction of the targets' range explain a baseline-level model. */
export const NARROW_PREDICTION_FRACTION = 0.25;
/** Loss counts as not decreasing when the last value is above this fraction of the first. */
export const LOSS_PLATEAU_FRACTION = 0.95;
/** A model whose validation RMSE is within this fraction of the best constant predictor's barely steers. */
export const BASELINE_MARGIN = 0.05;

export interface FindingsInput {
  snapshots: DiagnosticsSnapshot[];
  /** Trunk layer names in forward order (first = nearest the input). */
  trunkLayers: string[];
  /** Main head: kind and its output range in target units (null = unbounded). */
  head: { name: string; kind: string; range: { min: number; max: number } | null };
  /** Training targets (target units) and the matching degrees converter, for the range check. */
  trainTargets?: ArrayLike<number>;
  toDeg?: (t: number) => number;
  /** Training loss per epoch (target units squared), oldest first. */
  epochTrainLoss?: number[];
  /** Training loss at logging steps, oldest first (used when there are < 2 epochs). */
  stepLoss?: number[];
  /** Validation of the chosen weights in degrees, with baselines. */
  evaluation?: EvaluationDeg | null;
  /** Set by the trainer's non-finite guard. */
  nonFinite?: { step: number; layer: string; where: 'activation' | 'gradient' | 'loss'; lastFiniteLoss: number | null } | null;
}

const fmt = (v: number, digits = 3): string => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : v.toFixed(digits));
// Values that round to zero print as 0.00, not -0.00 (e.g. a transform's round trip of 0 deg gives -1e-15).
const deg = (v: number): string => `${(Math.abs(v) < 0.005 ? 0 : v).toFixed(2)} deg`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function gradRatios(input: FindingsInput): { ratio: number; first: number; last: number }[] {
  const firstName = input.trunkLayers[0];
  return input.snapshots.flatMap((s) => {
    const first = s.layers.find((l) => l.name === firstName);
    const last = s.layers.find((l) => l.name === input.head.name);
    return first && last && last.gradNorm > 0 ? [{ ratio: first.gradNorm / last.gradNorm, first: first.gradNorm, last: last.gradNorm }] : [];
  });
}

/** Every finding the measurements support; a 'healthy' info finding when nothing is wrong. */
export function computeFindings(input: FindingsInput): Finding[] {
  const lastSnap = input.snapshots.at(-1);
  const ratios = gradRatios(input);
  const out: Finding[] = [...nonFiniteFindings(input), ...gradientRatioFindings(input, ratios)];
  // One exploding-gradients finding from the ratio is enough; the growth check would repeat it.
  if (!out.some((f) => f.kind === 'exploding-gradients')) out.push(...gradientGrowthFindings(input.snapshots));
  if (lastSnap) out.push(...updateRatioFindings(lastSnap), ...unitFindings(lastSnap));
  out.push(...targetRangeFindings(input), ...lossFindings(input), ...baselineFindings(input));
  if (!out.some((f) => f.severity !== 'info') && (ratios.length > 0 || input.evaluation)) out.push(healthyFinding(input, ratios));
  return out;
}

/** The trainer's non-finite guard stopped the run. */
function nonFiniteFindings(input: FindingsInput): Finding[] {
  const nf = input.nonFinite;
  if (!nf) return [];
  return [{
    kind: 'non-finite', severity: 'error', step: nf.step, layer: nf.layer,
    message: `Training stopped at step ${nf.step}: the ${nf.where} of layer '${nf.layer}' became NaN or infinite${nf.lastFiniteLoss !== null ? ` (the last finite training loss was ${fmt(nf.lastFiniteLoss)})` : ''}. Lower the learning rate, clip gradients, or normalise the targets.`,
    evidence: nf.lastFiniteLoss !== null ? { step: nf.step, lastFiniteLoss: nf.lastFiniteLoss } : { step: nf.step },
  }];
}

/** Vanishing or exploding gradients from the first trunk layer's norm over the head's (median over snapshots). */
function gradientRatioFindings(input: FindingsInput, ratios: { ratio: number; first: number; last: number }[]): Finding[] {
  const firstLayer = input.trunkLayers[0] ?? null;
  if (ratios.length === 0 || !firstLayer) return [];
  const step = input.snapshots.at(-1)?.step ?? null;
  const r = median(ratios.map((x) => x.ratio));
  const f = median(ratios.map((x) => x.first));
  const l = median(ratios.map((x) => x.last));
  const evidence = { firstLayerGradNorm: f, headGradNorm: l, ratio: r, threshold: r < 1 ? VANISHING_RATIO : EXPLODING_RATIO, snapshots: ratios.length };
  if (r < VANISHING_RATIO) {
    return [{
      kind: 'vanishing-gradients', severity: 'warning', step, layer: firstLayer,
      message: `Vanishing gradients: '${firstLayer}' gets a gradient norm of ${fmt(f)} against ${fmt(l)} at '${input.head.name}' (ratio ${fmt(r)}, median of ${ratios.length} snapshots; threshold ${VANISHING_RATIO}). The first layers barely learn; try He init with ReLU/ELU, or batchnorm.`,
      evidence,
    }];
  }
  if (r > EXPLODING_RATIO) {
    return [{
      kind: 'exploding-gradients', severity: 'warning', step, layer: firstLayer,
      message: `Exploding gradients toward the input: '${firstLayer}' gradient norm ${fmt(f)} is ${fmt(r)} times the head's ${fmt(l)} (threshold ${EXPLODING_RATIO}).`,
      evidence,
    }];
  }
  return [];
}

/** Exploding gradients from the growth of the total gradient norm between the first and last snapshot. */
function gradientGrowthFindings(snapshots: DiagnosticsSnapshot[]): Finding[] {
  if (snapshots.length < 2) return [];
  const firstSnap = snapshots[0];
  const lastSnap = snapshots[snapshots.length - 1];
  const total = (s: DiagnosticsSnapshot) => Math.sqrt(s.layers.reduce((a, l) => a + l.gradNorm ** 2, 0));
  const g0 = total(firstSnap);
  const g1 = total(lastSnap);
  if (!(g0 > 0 && g1 / g0 > EXPLODING_GROWTH)) return [];
  return [{
    kind: 'exploding-gradients', severity: 'warning', step: lastSnap.step, layer: null,
    message: `Exploding gradients: the total gradient norm grew from ${fmt(g0)} at step ${firstSnap.step} to ${fmt(g1)} at step ${lastSnap.step} (x${fmt(g1 / g0)}; threshold x${EXPLODING_GROWTH}).`,
    evidence: { firstGradNorm: g0, lastGradNorm: g1, growth: g1 / g0, threshold: EXPLODING_GROWTH },
  }];
}

/** The layer whose last update moved its weights the most, when that is over EXPLODING_UPDATE_RATIO. */
function updateRatioFindings(lastSnap: DiagnosticsSnapshot): Finding[] {
  const big = lastSnap.layers.filter((l) => l.updateRatio !== null && l.updateRatio > EXPLODING_UPDATE_RATIO);
  if (big.length === 0) return [];
  const worst = big.reduce((a, b) => ((a.updateRatio ?? 0) > (b.updateRatio ?? 0) ? a : b));
  return [{
    kind: 'exploding-gradients', severity: 'warning', step: lastSnap.step, layer: worst.name,
    message: `Updates too large: at step ${lastSnap.step} each step changes '${worst.name}' by ${fmt(worst.updateRatio! * 100, 1)}% of its weight norm (threshold ${EXPLODING_UPDATE_RATIO * 100}%; healthy is about 0.1%). Lower the learning rate.`,
    evidence: { updateRatio: worst.updateRatio!, threshold: EXPLODING_UPDATE_RATIO, layers: big.length },
  }];
}

/** Dead and saturated units per layer, then saturated heads, at the last snapshot. */
function unitFindings(lastSnap: DiagnosticsSnapshot): Finding[] {
  const out: Finding[] = [];
  const step = lastSnap.step;
  for (const l of lastSnap.layers) {
    if (l.deadFraction !== null && l.deadFraction > DEAD_FRACTION_WARN) {
      out.push({
        kind: 'dead-units', severity: 'warning', step, layer: l.name,
        message: `Dead units: ${fmt(l.deadFraction * 100, 1)}% of '${l.name}' units output zero for every sample of the batch at step ${step} (threshold ${DEAD_FRACTION_WARN * 100}%). They receive no gradient; lower the learning rate or use leaky ReLU/ELU.`,
        evidence: { deadFraction: l.deadFraction, threshold: DEAD_FRACTION_WARN },
      });
    }
    if (l.saturatedFraction !== null && l.saturatedFraction > SATURATED_FRACTION_WARN) {
      out.push({
        kind: 'saturated-units', severity: 'warning', step, layer: l.name,
        message: `Saturated units: ${fmt(l.saturatedFraction * 100, 1)}% of '${l.name}' pre-activations have |x| > 2 at step ${step} (threshold ${SATURATED_FRACTION_WARN * 100}%), where a tanh's slope is below 0.071 and a sigmoid's below 0.105: these units barely pass gradient.`,
        evidence: { saturatedFraction: l.saturatedFraction, threshold: SATURATED_FRACTION_WARN },
      });
    }
  }
  for (const h of lastSnap.heads) {
    if (h.saturatedFraction > HEAD_SATURATED_WARN) {
      out.push({
        kind: 'saturated-head', severity: 'warning', step, layer: h.name,
        message: `Saturated head: ${fmt(h.saturatedFraction * 100, 1)}% of '${h.name}' pre-activations have |x| > 2 (range ${fmt(h.preMin)} to ${fmt(h.preMax)}) at step ${step} (threshold ${HEAD_SATURATED_WARN * 100}%); its tanh passes back less than 7% of the gradient there.`,
        evidence: { saturatedFraction: h.saturatedFraction, preMin: h.preMin, preMax: h.preMax, threshold: HEAD_SATURATED_WARN },
      });
    }
  }
  return out;
}

/** Training targets a bounded head cannot output. */
function targetRangeFindings(input: FindingsInput): Finding[] {
  if (!input.head.range || !input.trainTargets || input.trainTargets.length === 0) return [];
  const { min, max } = input.head.range;
  let outside = 0;
  let finite = 0;
  let tMin = Infinity;
  let tMax = -Infinity;
  for (let i = 0; i < input.trainTargets.length; i++) {
    const t = input.trainTargets[i];
    if (!Number.isFinite(t)) continue;
    finite++;
    if (t < min || t > max) outside++;
    tMin = Math.min(tMin, t);
    tMax = Math.max(tMax, t);
  }
  if (outside === 0) return [];
  const frac = outside / finite;
  const toDeg = input.toDeg ?? ((t: number) => t);
  return [{
    kind: 'targets-outside-head-range', severity: 'error', step: null, layer: input.head.name,
    message: `Targets outside the head's range: the ${input.head.kind} head can output ${fmt(min)} to ${fmt(max)} target units (${deg(toDeg(min))} to ${deg(toDeg(max))}), but training targets span ${fmt(tMin)} to ${fmt(tMax)} (${deg(toDeg(tMin))} to ${deg(toDeg(tMax))}); ${fmt(frac * 100, 1)}% of them are unreachable. Normalise the targets or use a linear head.`,
    evidence: { headMin: min, headMax: max, targetMin: tMin, targetMax: tMax, fractionOutside: frac },
  }];
}

/** Training loss (per epoch, else per logged step) that ends above LOSS_PLATEAU_FRACTION of where it started. */
function lossFindings(input: FindingsInput): Finding[] {
  const losses = input.epochTrainLoss && input.epochTrainLoss.length >= 2 ? { v: input.epochTrainLoss, unit: 'epoch' } : input.stepLoss && input.stepLoss.length >= 4 ? { v: input.stepLoss, unit: 'logged step' } : null;
  if (!losses) return [];
  const first = losses.v[0];
  const last = losses.v.at(-1)!;
  if (!(Number.isFinite(first) && Number.isFinite(last) && last > LOSS_PLATEAU_FRACTION * first)) return [];
  return [{
    kind: 'loss-not-decreasing', severity: 'warning', step: input.snapshots.at(-1)?.step ?? null, layer: null,
    message: `Loss not decreasing: training loss went from ${fmt(first)} to ${fmt(last)} over ${losses.v.length} ${losses.unit}s (${fmt((last / first) * 100, 1)}% of the start; threshold ${LOSS_PLATEAU_FRACTION * 100}%).`,
    evidence: { firstLoss: first, lastLoss: last, ratio: last / first, threshold: LOSS_PLATEAU_FRACTION },
  }];
}

/** A model no better (or barely better) than predicting a constant angle, with the reason when the head shows one. */
function baselineFindings(input: FindingsInput): Finding[] {
  const ev = input.evaluation;
  if (!ev || !(ev.model.n > 0)) return [];
  const best = ev.zero.maeDeg <= ev.mean.maeDeg ? { name: 'zero', m: ev.zero } : { name: 'mean', m: ev.mean };
  const worseMae = ev.model.maeDeg >= best.m.maeDeg;
  const bestR = ev.zero.rmseDeg <= ev.mean.rmseDeg ? { name: 'zero', m: ev.zero } : { name: 'mean', m: ev.mean };
  const worseRmse = ev.model.rmseDeg >= bestR.m.rmseDeg;
  // Better than the constant, but by less than BASELINE_MARGIN of its RMSE: it has learned almost nothing.
  const barely = !worseMae && !worseRmse && ev.model.rmseDeg > (1 - BASELINE_MARGIN) * bestR.m.rmseDeg;
  if (!(worseMae || worseRmse || barely || !Number.isFinite(ev.model.maeDeg))) return [];
  const parts = [
    worseMae ? `MAE ${deg(ev.model.maeDeg)} vs ${deg(best.m.maeDeg)} for the ${best.name} predictor` : null,
    worseRmse || barely ? `RMSE ${deg(ev.model.rmseDeg)} vs ${deg(bestR.m.rmseDeg)} for the ${bestR.name} predictor` : null,
  ].filter(Boolean);
  const evidence: Record<string, number> = { modelMaeDeg: ev.model.maeDeg, modelRmseDeg: ev.model.rmseDeg, zeroMaeDeg: ev.zero.maeDeg, meanMaeDeg: ev.mean.maeDeg, zeroRmseDeg: ev.zero.rmseDeg, meanRmseDeg: ev.mean.rmseDeg };
  const why = narrowPredictionReason(input, evidence);
  if (barely) evidence.margin = BASELINE_MARGIN;
  return [{
    kind: barely ? 'barely-better-than-baseline' : 'worse-than-baseline', severity: 'warning', step: null, layer: null,
    message: barely
      ? `Barely better than a constant: validation ${parts.join('; ')}, ${fmt((1 - ev.model.rmseDeg / bestR.m.rmseDeg) * 100, 1)}% lower (threshold ${BASELINE_MARGIN * 100}%): it has learned little beyond the ${bestR.name} angle.${why}`
      : `No better than a constant: validation ${parts.join('; ') || `MAE ${ev.model.maeDeg}`}.${!worseMae && worseRmse ? ' It wins on MAE only: it misses the large angles (RMSE weighs them).' : ''}${why}`,
    evidence,
  }];
}

/**
 * Why a model sits at the baseline, when we can tell: predictions confined to
 * a much narrower range than the targets (e.g. raw degrees learned from a
 * small init at a small learning rate, or a bounded head). Adds the ranges to
 * `evidence` and returns a sentence (empty when the head shows no such thing).
 */
function narrowPredictionReason(input: FindingsInput, evidence: Record<string, number>): string {
  const lastSnap = input.snapshots.at(-1);
  const h = lastSnap?.heads.find((x) => x.name === input.head.name);
  if (!lastSnap || !h || h.predMinDeg === undefined || h.predMaxDeg === undefined || h.targetMinDeg === undefined || h.targetMaxDeg === undefined) return '';
  const predSpan = h.predMaxDeg - h.predMinDeg;
  const targetSpan = h.targetMaxDeg - h.targetMinDeg;
  if (!(targetSpan > 0 && predSpan < NARROW_PREDICTION_FRACTION * targetSpan)) return '';
  Object.assign(evidence, { predMinDeg: h.predMinDeg, predMaxDeg: h.predMaxDeg, targetMinDeg: h.targetMinDeg, targetMaxDeg: h.targetMaxDeg });
  return ` At step ${lastSnap.step} the head predicted ${deg(h.predMinDeg)} to ${deg(h.predMaxDeg)} for targets of ${deg(h.targetMinDeg)} to ${deg(h.targetMaxDeg)}: its outputs cover ${fmt((predSpan / targetSpan) * 100, 2)}% of the targets' range.`;
}

/** The 'healthy' finding, quoting the gradient ratio and validation MAE that showed nothing wrong. */
function healthyFinding(input: FindingsInput, ratios: { ratio: number }[]): Finding {
  const ev = input.evaluation;
  const firstLayer = input.trunkLayers[0] ?? null;
  const r = ratios.length ? median(ratios.map((x) => x.ratio)) : NaN;
  const evidence: Record<string, number> = {};
  const parts: string[] = [];
  if (Number.isFinite(r)) {
    evidence.gradRatio = r;
    parts.push(`'${firstLayer}'/'${input.head.name}' gradient ratio ${fmt(r)}`);
  }
  if (ev && ev.model.n > 0) {
    Object.assign(evidence, { modelMaeDeg: ev.model.maeDeg, zeroMaeDeg: ev.zero.maeDeg, meanMaeDeg: ev.mean.maeDeg });
    parts.push(`validation MAE ${deg(ev.model.maeDeg)} vs ${deg(ev.zero.maeDeg)} (zero) and ${deg(ev.mean.maeDeg)} (mean)`);
  }
  return { kind: 'healthy', severity: 'info', step: input.snapshots.at(-1)?.step ?? null, layer: null, message: `No problem detected: ${parts.join('; ')}.`, evidence };
}
