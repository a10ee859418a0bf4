/** Formatting for people: every number carries its unit. */

/** Degrees with 3 significant figures at most, e.g. "4.12°", "27.3°", "-410°". */
export function fmtDeg(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  const a = Math.abs(x);
  return `${a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : x.toFixed(2)}°`;
}

/**
 * A baseline shown beside the model's number: with as many decimals as it takes for the two to read differently
 * (fmtDeg's rounding can make 19.43 and 19.38 both read 19.4), or "equal" when they are the same number.
 */
export function fmtDegBeside(x: number | null | undefined, model: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  if (model === null || model === undefined || !Number.isFinite(model) || fmtDeg(x) !== fmtDeg(model)) return fmtDeg(x);
  if (x === model) return `${fmtDeg(x)}, equal`;
  for (let d = 2; d <= 8; d++) if (x.toFixed(d) !== model.toFixed(d)) return `${x.toFixed(d)}° (model ${model.toFixed(d)}°)`;
  return `${fmtDeg(x)}, equal to 8 decimals`;
}

/** A steering angle with its direction: "12.3° right", "4.00° left", "0.00°". */
export function fmtSteer(x: number): string {
  if (!Number.isFinite(x)) return '—';
  if (Math.abs(x) < 0.005) return '0.00°';
  return `${fmtDeg(Math.abs(x))} ${x > 0 ? 'right' : 'left'}`;
}

/** Seconds as "42 s", "3 min 05 s", "1 h 02 min". */
export function fmtDuration(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s) || s < 0) return '—';
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(Math.round(s - m * 60)).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** A loss value (target units squared): scientific below 1e-3. */
export function fmtLoss(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  return Math.abs(x) < 1e-3 && x !== 0 ? x.toExponential(2) : x.toPrecision(4);
}

export function fmtPct(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  return `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;
}

export function fmtInt(x: number): string {
  return x.toLocaleString('en-US');
}

/** The last component of a path, POSIX or Windows ("C:\\drives\\a.mp4" -> "a.mp4"; a folder's trailing slash ignored). */
export function fileName(path: string): string {
  return path.replace(/[\\/]+$/, '').split(/[\\/]/).pop() || path;
}
