/**
 * What every lab study shares: a run context (cancellation, progress) and the
 * small statistics helpers the reducers use to quote numbers.
 */
import { CancelledError } from '../errors.ts';

/** Progress of a study: a stage name and how far through it (done of total units). */
export interface StudyProgress {
  stage: string;
  done: number;
  total: number;
}

export interface StudyContext {
  signal?: AbortSignal;
  onProgress?(p: StudyProgress): void;
}

/** Throws CancelledError when the signal has fired (call between units of work). */
export function checkCancelled(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError('study cancelled');
}

/** Formats a number for a sentence: 3 significant digits, exponent form for very small or large magnitudes. */
export function fmt(v: number, digits = 3): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e5) return v.toExponential(digits - 1);
  return Number(v.toPrecision(digits)).toString();
}

/** Yields to the event loop so progress and cancellation get a chance to run. */
export function tick(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}
