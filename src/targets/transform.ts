/**
 * Target transforms: steering-wheel degrees <-> training targets. Parameters
 * come from the TRAINING split only (never validation), and every transform
 * is invertible so predictions are read back in degrees.
 */
import type { TargetConfig, TargetKind } from './config.ts';
import { TargetConfig as TargetConfigSchema } from './config.ts';
import { finiteMoments } from '../math/stats.ts';

export interface TargetTransform {
  kind: TargetKind;
  /** raw: {}; normalized: { fullScaleDeg }; standardized: { meanDeg, stdDeg }. */
  params: Record<string, number>;
  toTarget(deg: number): number;
  toDeg(t: number): number;
}

/** Fits the transform on the training angles (degrees; NaN = dropped frame, ignored). */
export function createTargetTransform(cfgInput: TargetConfig | Partial<TargetConfig>, trainAnglesDeg: ArrayLike<number>): TargetTransform {
  const cfg = TargetConfigSchema.parse(cfgInput);
  const m = finiteMoments(trainAnglesDeg);
  const maxAbs = m.n > 0 ? Math.max(Math.abs(m.min), Math.abs(m.max)) : 0;
  switch (cfg.kind) {
    case 'raw':
      return { kind: 'raw', params: {}, toTarget: (d) => d, toDeg: (t) => t };
    case 'normalized': {
      // An all-zero training split has no scale; 1 deg keeps the transform invertible.
      const fullScaleDeg = cfg.fullScaleDeg ?? (maxAbs > 0 ? maxAbs : 1);
      return { kind: 'normalized', params: { fullScaleDeg }, toTarget: (d) => d / fullScaleDeg, toDeg: (t) => t * fullScaleDeg };
    }
    case 'standardized': {
      if (m.n === 0) throw new Error('standardized targets need at least one finite training angle');
      const meanDeg = m.mean;
      const sd = m.std;
      const stdDeg = sd > 0 ? sd : 1;
      return { kind: 'standardized', params: { meanDeg, stdDeg }, toTarget: (d) => (d - meanDeg) / stdDeg, toDeg: (t) => t * stdDeg + meanDeg };
    }
  }
}

/** Rebuilds a transform from its saved kind + params (e.g. next to an exported model). */
export function transformFromParams(kind: TargetKind, params: Record<string, number>): TargetTransform {
  if (kind === 'raw') return createTargetTransform({ kind }, []);
  if (kind === 'normalized') return createTargetTransform({ kind, fullScaleDeg: params.fullScaleDeg }, []);
  const { meanDeg, stdDeg } = params;
  if (!Number.isFinite(meanDeg) || !(stdDeg > 0)) throw new Error('standardized transform needs meanDeg and stdDeg > 0');
  return { kind, params: { meanDeg, stdDeg }, toTarget: (d) => (d - meanDeg) / stdDeg, toDeg: (t) => t * stdDeg + meanDeg };
}

/** Applies toTarget / toDeg to a whole array. */
export function mapArray(values: ArrayLike<number>, f: (v: number) => number): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = f(values[i]);
  return out;
}
