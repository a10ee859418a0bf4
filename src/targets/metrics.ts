/**
 * Error metrics in steering-wheel degrees, overall and by angle bin, plus
 * the zero and mean predictors every model is compared with.
 *
 * Bins are by |true angle| in steering-wheel degrees. With a typical steering
 * ratio of about 15:1, 5 deg of wheel is ~0.3 deg at the road wheels (lane
 * keeping on a straight), 90 deg of wheel is ~6 deg (a highway or sweeping
 * curve), beyond that are turns and junctions:
 * straight [0, 5), gentle [5, 90), sharp [90, inf).
 */
import { finiteMoments } from '../data/stats.ts';
import type { EvaluationDeg, MetricsDeg } from './metrics-types.ts';

export const ANGLE_BINS: readonly { name: string; loDeg: number; hiDeg: number | null }[] = [
  { name: 'straight', loDeg: 0, hiDeg: 5 },
  { name: 'gentle', loDeg: 5, hiDeg: 90 },
  { name: 'sharp', loDeg: 90, hiDeg: null },
];

/**
 * MAE, RMSE, max |error| and per-bin MAE/RMSE of predictions vs true angles
 * (both degrees). Pairs whose true angle is not finite (dropped frames) are
 * skipped; a non-finite prediction makes the metrics non-finite, on purpose.
 * Empty input gives n = 0 and NaN errors.
 */
export function metricsDeg(predDeg: ArrayLike<number>, trueDeg: ArrayLike<number>): MetricsDeg {
  if (predDeg.length !== trueDeg.length) throw new Error(`metricsDeg: ${predDeg.length} predictions for ${trueDeg.length} angles`);
  const bins = ANGLE_BINS.map((b) => ({ ...b, n: 0, abs: 0, sq: 0 }));
  let n = 0;
  let abs = 0;
  let sq = 0;
  let max = 0;
  for (let i = 0; i < trueDeg.length; i++) {
    const t = trueDeg[i];
    if (!Number.isFinite(t)) continue;
    const e = predDeg[i] - t;
    const ae = Math.abs(e);
    n++;
    abs += ae;
    sq += e * e;
    max = ae > max || Number.isNaN(ae) ? ae : max;
    const a = Math.abs(t);
    const bin = bins.find((b) => a >= b.loDeg && (b.hiDeg === null || a < b.hiDeg))!;
    bin.n++;
    bin.abs += ae;
    bin.sq += e * e;
  }
  return {
    n,
    maeDeg: n ? abs / n : NaN,
    rmseDeg: n ? Math.sqrt(sq / n) : NaN,
    maxErrDeg: n ? max : NaN,
    bins: bins.map((b) => ({
      name: b.name,
      loDeg: b.loDeg,
      hiDeg: b.hiDeg,
      n: b.n,
      maeDeg: b.n ? b.abs / b.n : null,
      rmseDeg: b.n ? Math.sqrt(b.sq / b.n) : null,
    })),
  };
}

/** Model metrics beside the zero predictor (always 0 deg) and the training-mean predictor. */
export function evaluateDeg(predDeg: ArrayLike<number>, trueDeg: ArrayLike<number>, trainMeanDeg: number): EvaluationDeg {
  return {
    model: metricsDeg(predDeg, trueDeg),
    zero: metricsDeg(new Float32Array(trueDeg.length), trueDeg),
    mean: metricsDeg(new Float32Array(trueDeg.length).fill(trainMeanDeg), trueDeg),
  };
}

/** Mean of the finite values (degrees); 0 for none. */
export function finiteMean(values: ArrayLike<number>): number {
  const m = finiteMoments(values);
  return m.n ? m.mean : 0;
}
