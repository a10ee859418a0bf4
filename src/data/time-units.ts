/**
 * Time columns in seconds, milliseconds or nanoseconds: declared by option or
 * column name, or inferred from the spacing of consecutive values.
 */
import { fmt } from './units.ts';

export type TimeUnit = 's' | 'ms' | 'ns';

export const SECONDS_PER: Record<TimeUnit, number> = { s: 1, ms: 1e-3, ns: 1e-9 };

const NAMES: Record<TimeUnit, string> = { s: 'seconds', ms: 'milliseconds', ns: 'nanoseconds' };

/** Times later than this many seconds are absolute clock times (after 1973), not video times. */
export const EPOCH_THRESHOLD_S = 1e8;

/**
 * Infers the unit from the median spacing of consecutive values: camera and
 * steering logs run between about 0.2 and 1000 rows per second, so a spacing
 * below 5 is seconds, 5 to 1e5 is milliseconds, above is nanoseconds. With a
 * single row the magnitude decides (epoch ns is about 1.5e18, epoch ms 1.5e12).
 */
export function inferTimeUnit(values: ArrayLike<number>): { unit: TimeUnit; evidence: string } {
  const d: number[] = [];
  for (let i = 1; i < values.length; i++) {
    const dt = values[i] - values[i - 1];
    if (Number.isFinite(dt) && dt > 0) d.push(dt);
  }
  if (d.length === 0) {
    const v = Math.abs(values.length ? values[0] : 0);
    const unit: TimeUnit = v >= 1e17 ? 'ns' : v >= 1e11 ? 'ms' : 's';
    return { unit, evidence: `value ${fmt(v)} (no spacing to judge) -> ${NAMES[unit]}? pass --time-unit to override` };
  }
  d.sort((a, b) => a - b);
  const med = d[Math.floor(d.length / 2)];
  const unit: TimeUnit = med < 5 ? 's' : med < 1e5 ? 'ms' : 'ns';
  const hz = 1 / (med * SECONDS_PER[unit]);
  return {
    unit,
    evidence: `median spacing ${fmt(med)} over ${values.length} rows -> ${NAMES[unit]} (${fmt(hz)} rows/s)? pass --time-unit to override`,
  };
}

/** Reads a unit from a column name suffix: time_s, timestamp_ms, t_ns, "time (ms)". */
export function timeUnitFromName(name: string): TimeUnit | undefined {
  const n = name.toLowerCase();
  const m = /(?:[_\s(\[]|^)(s|sec|secs|seconds|ms|msec|millis|milliseconds|ns|nsec|nanos|nanoseconds)\)?\]?$/.exec(n);
  if (!m) return undefined;
  const u = m[1];
  if (u.startsWith('n')) return 'ns';
  if (u.startsWith('m')) return 'ms';
  return 's';
}

/**
 * A written clock time as milliseconds since the epoch, read as UTC (only
 * differences are used): `2018-07-01 12:00:00:123` (Sully Chen's style, ms
 * after a colon), `2018-07-01T12:00:00.123`, with an optional trailing Z.
 * Returns null for anything else.
 */
export function parseClockTimeMs(s: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:[:.](\d{1,9}))?Z?$/.exec(s.trim());
  if (!m) return null;
  const frac = m[7] ? Number('0.' + m[7]) * 1000 : 0;
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) + frac;
  return Number.isFinite(ms) ? ms : null;
}
