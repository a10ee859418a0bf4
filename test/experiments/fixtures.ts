/** Hand-made run records for store/compare/report tests (numbers chosen by hand, not produced by training). */
import type { MetricsDeg } from '../../src/targets/metrics-types.ts';
import type { RunResult } from '../../src/train/events.ts';

export function metrics(mae: number, rmse: number, maxErr: number, bins: [number, number, number]): MetricsDeg {
  return {
    n: 100, maeDeg: mae, rmseDeg: rmse, maxErrDeg: maxErr,
    bins: [
      { name: 'straight', loDeg: 0, hiDeg: 5, n: 60, maeDeg: bins[0], rmseDeg: bins[0] },
      { name: 'gentle', loDeg: 5, hiDeg: 30, n: 30, maeDeg: bins[1], rmseDeg: bins[1] },
      { name: 'sharp', loDeg: 30, hiDeg: null, n: 10, maeDeg: bins[2], rmseDeg: bins[2] },
    ],
  };
}

export const ZERO = metrics(4.1, 9.0, 60, [1.2, 12, 45]);
export const MEAN = metrics(4.3, 9.1, 61, [1.4, 12.1, 44]);

export function result(model: MetricsDeg, over: Partial<RunResult> = {}): RunResult {
  return {
    status: 'completed', engine: 'wasm', epochs: 5, steps: 500, wallTimeS: 42.5, paramCount: 252219, bestEpoch: 4, selection: 'last-epoch',
    val: { model, zero: ZERO, mean: MEAN }, findings: [], error: null, ...over,
  };
}
