/**
 * Angle units: inference from magnitudes (said out loud, with its evidence)
 * and conversion to the lab's internal unit, steering-wheel degrees with
 * positive = right.
 */
import { UserError } from '../errors.ts';
import type { AngleUnits, SignConvention } from './types.ts';

/** A steering wheel turns about 1.5 turns to lock (about 540 degrees, 9.4 radians). */
export const WHEEL_LOCK_DEG = 540;

/**
 * Guesses the units of raw steering values from their magnitudes.
 * - max |v| <= 1 with some values exactly at +-1: normalised (clipped at full scale);
 * - max |v| <= 1 otherwise, or <= 10: radians (a wheel at lock is about 9.4 rad);
 * - anything larger: degrees.
 * A drive whose wheel never passes 10 degrees would be misread as radians, so
 * the evidence sentence is always shown and --units overrides it.
 */
export function inferUnits(values: ArrayLike<number>): { units: AngleUnits; evidence: string } {
  let maxAbs = 0;
  let n = 0;
  let atOne = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    n++;
    const a = Math.abs(v);
    if (a > maxAbs) maxAbs = a;
    if (a === 1) atOne++;
  }
  if (n === 0) return { units: 'degrees', evidence: 'no finite steering values -> degrees? pass --units to override' };
  const head = `max |value| ${fmt(maxAbs)} over ${n} rows`;
  if (maxAbs <= 1) {
    if (atOne > 0) {
      return {
        units: 'normalized',
        evidence: `${head}, ${atOne} rows exactly at +-1 -> normalised [-1, 1]? pass --units and --full-scale to override`,
      };
    }
    return { units: 'radians', evidence: `${head} -> radians? (or normalised [-1, 1]) pass --units to override` };
  }
  if (maxAbs <= 10) {
    return {
      units: 'radians',
      evidence: `${head} -> radians? (a wheel at lock is about 9.4 rad; degrees would mean no curve above 10 deg) pass --units to override`,
    };
  }
  return { units: 'degrees', evidence: `${head} -> degrees? pass --units to override` };
}

/**
 * Converts one raw value to degrees. Normalised values need labelFullScaleDeg:
 * the degrees that a value of 1 means (25 for the Udacity simulator, about
 * 420-540 for a car's steering wheel).
 */
export function toDegrees(v: number, units: AngleUnits, labelFullScaleDeg?: number): number {
  switch (units) {
    case 'degrees':
      return v;
    case 'radians':
      return (v * 180) / Math.PI;
    case 'normalized':
      if (labelFullScaleDeg === undefined || !Number.isFinite(labelFullScaleDeg) || labelFullScaleDeg <= 0) {
        throw new UserError(
          'normalised steering values need a full scale: pass --full-scale DEG (the degrees a value of 1 means, e.g. 25 for the Udacity simulator, 420 for a car wheel)',
        );
      }
      return v * labelFullScaleDeg;
  }
}

/** Converts a value in the file's sign convention to positive = right. */
export function toPositiveRight(deg: number, sign: SignConvention): number {
  return sign === 'positive-left' ? -deg : deg;
}

/** Short number formatting for messages: 3 significant digits, no exponent for usual sizes. */
export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(2);
  return String(Number(v.toPrecision(3)));
}
