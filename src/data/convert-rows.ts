/**
 * Converts the rows every label parser reads (raw values in the file's units
 * and sign) to steering-wheel degrees with positive = right: picks the units
 * (option, column name, format default, or inference with its evidence),
 * converts them and the sign, applies side-camera corrections and returns a
 * LabelSet.
 */
import type { AngleUnits, LabelFormat, LabelOptions, LabelRow, LabelSet, SignConvention } from './types.ts';
import { WHEEL_LOCK_DEG, fmt, inferUnits, toDegrees, toPositiveRight } from './units.ts';
import { lineError, shortName } from './problems.ts';

/** A parsed row before unit conversion: `raw` is the steering value as written in the file. */
export interface RawRow extends Omit<LabelRow, 'steeringDeg'> {
  raw: number;
}

/** What a label format implies when the options leave it open. */
export interface FormatDefaults {
  /** Units the format defines (Udacity challenge: radians); absent = infer. */
  units?: AngleUnits;
  /** Degrees a normalised label of 1 means for this format. */
  labelFullScaleDeg?: number;
  /** The format has no standard scale and labelFullScaleDeg is a guess (a warning says so). */
  labelFullScaleIsGuess?: boolean;
  sign: SignConvention;
}

/** One parsed label file before conversion. */
export interface RawLabelFile {
  path: string;
  format: LabelFormat;
  key: LabelSet['key'];
  rows: RawRow[];
  opts: LabelOptions;
  defaults: FormatDefaults;
  /** Units read from a column name such as steering_deg or angle_rad. */
  columnUnits?: AngleUnits;
  warnings: string[];
}

/** Default side-camera correction in degrees: 0.2 of the simulator's 25-degree full scale, the usual choice. */
export const DEFAULT_SIDE_CORRECTION_DEG = 5;

/**
 * Raw rows -> LabelSet in degrees, positive = right. Throws a UserError naming
 * the file when there are no rows or normalised values have no full scale;
 * pushes a warning when units were inferred or a scale was guessed.
 */
export function convertRawRows(o: RawLabelFile): LabelSet {
  const file = shortName(o.path);
  const warnings = o.warnings;
  if (o.rows.length === 0) {
    throw lineError(file, null, 'no label rows found', 'check that the file has data rows below its header');
  }
  let units: AngleUnits;
  let unitsInferred = false;
  if (o.opts.units && o.opts.units !== 'auto') units = o.opts.units;
  else if (o.columnUnits) units = o.columnUnits;
  else if (o.defaults.units) units = o.defaults.units;
  else {
    // Side-camera rows repeat their centre row's value: count each moment once.
    const inf = inferUnits(o.rows.filter((r) => r.camera !== 'left' && r.camera !== 'right').map((r) => r.raw));
    units = inf.units;
    unitsInferred = true;
    warnings.push(`${file}: steering units inferred: ${inf.evidence}`);
  }
  let fullScaleDeg = o.opts.labelFullScaleDeg;
  if (units === 'normalized' && fullScaleDeg === undefined) {
    fullScaleDeg = o.defaults.labelFullScaleDeg;
    if (fullScaleDeg === undefined) {
      throw lineError(
        file,
        null,
        'steering values are normalised [-1, 1] but no full scale is known',
        'pass --full-scale DEG (the degrees a value of 1 means, e.g. 25 for the Udacity simulator, 420 for a car wheel)',
      );
    }
    if (o.defaults.labelFullScaleIsGuess) {
      warnings.push(`${file}: normalised angles mapped with a default full scale of ${fullScaleDeg} deg; pass --full-scale to set the real one`);
    }
  }
  if (units === 'normalized' && !(fullScaleDeg !== undefined && fullScaleDeg > 0 && Number.isFinite(fullScaleDeg))) {
    throw lineError(file, null, `full scale ${fullScaleDeg} deg is not a positive number`, 'pass --full-scale with a positive number of degrees');
  }
  const sign = o.opts.sign ?? o.defaults.sign;
  const side = o.opts.sideCameraCorrectionDeg ?? DEFAULT_SIDE_CORRECTION_DEG;
  const rows: LabelRow[] = [];
  let maxAbs = 0;
  for (const r of o.rows) {
    if ((r.camera === 'left' || r.camera === 'right') && side <= 0) continue;
    let deg = toPositiveRight(toDegrees(r.raw, units, fullScaleDeg), sign);
    // A left camera sees the car as if it were left of the lane centre, so it must steer right (+).
    if (r.camera === 'left') deg += side;
    if (r.camera === 'right') deg -= side;
    const { raw: _raw, ...rest } = r;
    rows.push({ ...rest, steeringDeg: deg });
    if (Math.abs(deg) > maxAbs) maxAbs = Math.abs(deg);
  }
  if (maxAbs > 2 * WHEEL_LOCK_DEG) {
    warnings.push(
      `${file}: max |angle| ${fmt(maxAbs)} deg is beyond a steering wheel's lock (about ${WHEEL_LOCK_DEG} deg); check --units (${units}) and --full-scale`,
    );
  }
  return { path: o.path, format: o.format, units, unitsInferred, sign, key: o.key, rows, warnings };
}
