/**
 * The label options as command-line flags, so every command that reads
 * labels (inspect, train, demo, study) spells them the same way and every
 * error message that says "pass --units" or "pass --full-scale" is true.
 */
import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import { ANGLE_UNITS, LABEL_FORMATS, SIGN_CONVENTIONS, TIME_UNIT_OPTIONS, type LabelOptions } from '../data/types.ts';

const FORMATS = ['auto', ...LABEL_FORMATS] as const;
const UNITS = ['auto', ...ANGLE_UNITS] as const;
const SIGNS = SIGN_CONVENTIONS;
const TIME_UNITS = TIME_UNIT_OPTIONS;

/** Adds the label flags to a commander command (values arrive as strings; see labelOptionsFromFlags). */
export function addLabelFlags(cmd: Command): Command {
  return cmd
    .option('--format <name>', `label format: ${FORMATS.join(' | ')}`)
    .option('--units <units>', `steering units in the label file: ${UNITS.join(' | ')}`)
    .option('--full-scale <deg>', 'steering-wheel degrees that a normalised label of 1 means (Udacity simulator 25, a car about 420-540)')
    .option('--sign <convention>', `sign of the label file: ${SIGNS.join(' | ')} (positive-right = clockwise)`)
    .option('--time-column <name>', 'label column holding the time')
    .option('--frame-column <name>', 'label column holding the 0-based frame index')
    .option('--steering-column <name>', 'label column holding the steering angle')
    .option('--time-unit <unit>', `unit of the time column: ${TIME_UNITS.join(' | ')}`)
    .option('--side-correction <deg>', 'degrees added for the left camera and subtracted for the right (0 = centre camera only; default 5)');
}

function oneOf<T extends string>(flag: string, v: unknown, allowed: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  const s = String(v).trim().toLowerCase();
  const alias: Record<string, string> = { deg: 'degrees', rad: 'radians', normalised: 'normalized', norm: 'normalized', right: 'positive-right', left: 'positive-left' };
  const t = (allowed as readonly string[]).includes(s) ? s : alias[s];
  if (t === undefined || !(allowed as readonly string[]).includes(t)) {
    throw new UserError(`${flag} "${String(v)}" is not one of: ${allowed.join(', ')}`);
  }
  return t as T;
}

function num(flag: string, v: unknown, positive: boolean): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (String(v).trim() === '' || !Number.isFinite(x) || (positive ? x <= 0 : x < 0)) {
    throw new UserError(`${flag} "${String(v)}" must be a ${positive ? 'positive' : 'non-negative'} number of degrees`);
  }
  return x;
}

/**
 * Commander's parsed options (camelCase keys: format, units, fullScale, sign,
 * timeColumn, frameColumn, steeringColumn, timeUnit, sideCorrection) to
 * LabelOptions. Throws UserError naming the flag on a bad value.
 */
export function labelOptionsFromFlags(f: Record<string, unknown>): LabelOptions {
  const o: LabelOptions = {};
  const format = oneOf('--format', f.format, FORMATS);
  if (format) o.format = format;
  const units = oneOf('--units', f.units, UNITS);
  if (units) o.units = units;
  const fullScale = num('--full-scale', f.fullScale, true);
  if (fullScale !== undefined) o.labelFullScaleDeg = fullScale;
  const sign = oneOf('--sign', f.sign, SIGNS);
  if (sign) o.sign = sign;
  const timeUnit = oneOf('--time-unit', f.timeUnit, TIME_UNITS);
  if (timeUnit) o.timeUnit = timeUnit;
  const side = num('--side-correction', f.sideCorrection, false);
  if (side !== undefined) o.sideCameraCorrectionDeg = side;
  for (const k of ['timeColumn', 'frameColumn', 'steeringColumn'] as const) {
    if (typeof f[k] === 'string' && (f[k] as string).trim() !== '') o[k] = (f[k] as string).trim();
  }
  return o;
}
