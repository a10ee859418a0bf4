/**
 * Error metrics in steering-wheel degrees, overall and by angle bin, plus
 * the zero and mean predictors every model is compared with.
 *
 * Bins are by |true angle| and come from the drive's own angles (the
 * training split's): a car's wheel may stay within +-55 degrees on a highway
 * drive and sweep +-420 in town, so fixed edges leave a bin always empty.
 * straight: |angle| < 2 degrees (lane keeping); sharp: the top decile of
 * |angle| in the training split; gentle: between. Each bin carries its edges.
 */
import { finiteMoments } from '../math/stats.ts';
import type { EvaluationDeg, MetricsDeg } from './metrics-types.ts';

export interface AngleBin {
  name: string;
  loDeg: number;
  hiDeg: number | null;
}

/** |angle| below this many degrees counts as driving straight. */
export const STRAIGHT_DEG = 2;

/** Two significant figures: bin edges people read (47.3 -> 47, 0.834 -> 0.83). */
function roundEdge(x: number): number {
  return x > 0 ? Number(x.toPrecision(2)) : 0;
}

/**
 * Bins from the training split's angles (degrees): straight [0, 2), gentle
 * [2, p90), sharp [p90, inf) with p90 the 90th percentile of |angle|. When
 * the drive hardly steers (p90 <= 2 degrees) the sharp edge is 2 x 2 = 4
 * degrees, so the bins stay ordered.
 */
export function angleBins(trainAnglesDeg: ArrayLike<number>): AngleBin[] {
  const abs = Array.from(trainAnglesDeg, Math.abs).filter(Number.isFinite).sort((x, y) => x - y);
  const p90 = abs.length ? abs[Math.min(abs.length - 1, Math.floor(0.9 * abs.length))] : 0;
  const sharp = Math.max(roundEdge(p90), 2 * STRAIGHT_DEG);
  return [
    { name: 'straight', loDeg: 0, hiDeg: STRAIGHT_DEG },
    { name: 'gentle', loDeg: STRAIGHT_DEG, hiDeg: sharp },
    { name: 'sharp', loDeg: sharp, hiDeg: null },
  ];
}

/**
 * MAE, RMSE, max |error| and per-bin MAE/RMSE of predictions vs true angles
 * (both degrees). Pairs whose true angle is not finite (dropped frames) are
 * skipped; a non-finite prediction makes the metrics non-finite, on purpose.
 * Empty input gives n = 0 and NaN errors. Bins: see angleBins (default:
 * from these true angles; the trainer passes the training split's).
 */
export function metricsDeg(predDeg: ArrayLike<number>, trueDeg: ArrayLike<number>, angleBinsDeg: AngleBin[] = angleBins(trueDeg)): MetricsDeg {
  if (predDeg.length !== trueDeg.length) throw new Error(`metricsDeg: ${predDeg.length} predictions for ${trueDeg.length} angles`);
  const bins = angleBinsDeg.map((b) => ({ ...b, n: 0, abs: 0, sq: 0 }));
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

/** Model metrics beside the zero predictor (always 0 deg) and the training-mean predictor, on the same bins. */
export function evaluateDeg(predDeg: ArrayLike<number>, trueDeg: ArrayLike<number>, trainMeanDeg: number, bins: AngleBin[] = angleBins(trueDeg)): EvaluationDeg {
  return {
    model: metricsDeg(predDeg, trueDeg, bins),
    zero: metricsDeg(new Float32Array(trueDeg.length), trueDeg, bins),
    mean: metricsDeg(new Float32Array(trueDeg.length).fill(trainMeanDeg), trueDeg, bins),
  };
}

/** Mean of the finite values (degrees); 0 for none. */
export function finiteMean(values: ArrayLike<number>): number {
  const m = finiteMoments(values);
  return m.n ? m.mean : 0;
}
