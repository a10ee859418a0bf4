/**
 * Per-layer and per-head statistics from plain numbers (pure: no tensors).
 * The trainer reduces tensors to the sums below at logging steps; these
 * functions turn them into the LayerDiag / HeadDiag records.
 *
 * JSON (and the zod schemas) cannot carry NaN/Inf: a norm or loss that is
 * not finite is reported as Number.MAX_VALUE, and LayerDiag.nonFinite > 0
 * says so. The trainer stops such a run with a 'non-finite' finding.
 */
import { finiteMoments } from '../math/stats.ts';
import type { HeadDiag, LayerDiag } from './types.ts';

/** |pre-activation| above which a tanh/sigmoid unit counts as saturated (tanh'(2) = 0.07, sigmoid'(2) = 0.10). */
export const SATURATION_THRESHOLD = 2;
/** Bins of the head pre-activation histogram. */
export const HEAD_HISTOGRAM_BINS = 20;

/** Sums a trainer measures for one layer at one step. */
export interface LayerSums {
  name: string;
  activation: string;
  /** Sum of squared gradient entries over the layer's variables. */
  gradSq: number;
  weightSq: number;
  /** Sum of squared (learning-rate scaled) update entries; null when not measured. */
  updateSq: number | null;
  /** Activation (post) sums over every element of the batch; null for heads. */
  act: { sum: number; sumSq: number; count: number } | null;
  /** ReLU-family layers: units (dense units, conv channels) that are <= 0 for every sample and position. */
  dead: { units: number; dead: number } | null;
  /** tanh/sigmoid layers: pre-activation elements with |pre| > SATURATION_THRESHOLD. */
  saturated: { count: number; total: number } | null;
  /** Non-finite entries among the layer's gradients and activations. */
  nonFinite: number;
}

const fin = (v: number): number | null => (Number.isFinite(v) ? v : null);

/** LayerDiag from measured sums. Norms are L2 norms; updateRatio = ||update|| / ||weights||. */
export function layerDiag(s: LayerSums): LayerDiag {
  const gradNorm = Math.sqrt(s.gradSq);
  const weightNorm = Math.sqrt(s.weightSq);
  const mean = s.act && s.act.count > 0 ? s.act.sum / s.act.count : NaN;
  const variance = s.act && s.act.count > 0 ? Math.max(0, s.act.sumSq / s.act.count - mean * mean) : NaN;
  return {
    name: s.name,
    gradNorm: Number.isFinite(gradNorm) ? gradNorm : Number.MAX_VALUE,
    weightNorm: Number.isFinite(weightNorm) ? weightNorm : Number.MAX_VALUE,
    updateRatio: s.updateSq === null || !(weightNorm > 0) ? null : fin(Math.sqrt(s.updateSq) / weightNorm),
    actMean: fin(mean),
    actStd: fin(Math.sqrt(variance)),
    deadFraction: s.dead && s.dead.units > 0 ? s.dead.dead / s.dead.units : null,
    saturatedFraction: s.saturated && s.saturated.total > 0 ? s.saturated.count / s.saturated.total : null,
    nonFinite: s.nonFinite,
  };
}

/** Equal-width histogram of the finite values; edges has bins+1 entries. */
export function histogram(values: ArrayLike<number>, bins: number): { edges: number[]; counts: number[] } {
  const s = finiteMoments(values);
  if (s.n === 0) return { edges: [], counts: [] };
  const lo = s.min;
  const hi = s.max > s.min ? s.max : s.min + 1;
  const w = (hi - lo) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => lo + i * w);
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    counts[Math.min(bins - 1, Math.floor((v - lo) / w))]++;
  }
  return { edges, counts };
}

/** Fraction of values with |v| > threshold. */
export function fractionAbove(values: ArrayLike<number>, threshold: number): number {
  if (values.length === 0) return 0;
  let c = 0;
  for (let i = 0; i < values.length; i++) if (Math.abs(values[i]) > threshold) c++;
  return c / values.length;
}

/** HeadDiag from one batch's head pre-activations, outputs and targets (target units). */
export function headDiag(o: {
  name: string;
  head: string;
  pre: ArrayLike<number>;
  pred: ArrayLike<number>;
  target: ArrayLike<number>;
  lossRaw: number;
  lossWeight: number;
  /** Inverse target transform; when given, the ranges are also reported in degrees. */
  toDeg?: (t: number) => number;
}): HeadDiag {
  const pre = finiteMoments(o.pre);
  const pred = finiteMoments(o.pred);
  const tgt = finiteMoments(o.target);
  const zeroIfNaN = (v: number) => (Number.isFinite(v) ? v : 0);
  const toDeg = o.toDeg;
  const degs = toDeg
    ? {
        predMinDeg: zeroIfNaN(toDeg(pred.min)),
        predMaxDeg: zeroIfNaN(toDeg(pred.max)),
        targetMinDeg: zeroIfNaN(toDeg(tgt.min)),
        targetMaxDeg: zeroIfNaN(toDeg(tgt.max)),
      }
    : {};
  return {
    name: o.name,
    preMean: zeroIfNaN(pre.mean),
    preStd: zeroIfNaN(pre.std),
    preMin: zeroIfNaN(pre.min),
    preMax: zeroIfNaN(pre.max),
    histogram: histogram(o.pre, HEAD_HISTOGRAM_BINS),
    // A linear head does not saturate.
    saturatedFraction: o.head === 'linear' ? 0 : fractionAbove(o.pre, SATURATION_THRESHOLD),
    predMin: zeroIfNaN(pred.min),
    predMax: zeroIfNaN(pred.max),
    targetMin: zeroIfNaN(tgt.min),
    targetMax: zeroIfNaN(tgt.max),
    lossRaw: Number.isFinite(o.lossRaw) ? o.lossRaw : Number.MAX_VALUE,
    lossWeight: o.lossWeight,
    lossWeighted: Number.isFinite(o.lossRaw * o.lossWeight) ? o.lossRaw * o.lossWeight : Number.MAX_VALUE,
    ...degs,
  };
}
