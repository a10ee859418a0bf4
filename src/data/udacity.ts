/**
 * The two Udacity formats:
 * - simulator `driving_log.csv`: center,left,right,steering,throttle,brake,speed
 *   (usually no header), steering normalised to [-1, 1] = +-25 degrees,
 *   positive = right; image paths as recorded (often absolute Windows or
 *   macOS paths), kept as IMG/<basename>;
 * - self-driving-car challenge CSVs: `frame_id` (nanosecond timestamp that
 *   also names the image) or `timestamp` (ns), angle in radians, positive =
 *   left (the car's CAN report counts counter-clockwise as positive).
 */
import type { LabelOptions, LabelSet } from './types.ts';
import { convertRawRows, type RawRow } from './convert-rows.ts';
import { STEERING_NAMES, checkIncreasing, normalizeColumnName } from './csv-generic.ts';
import { describeCell, lineError, parseNumberCell, shortName } from './problems.ts';
import { isNumericRecord, parseTable } from './table.ts';

/** The simulator's full scale: a value of 1 is 25 degrees of steering. */
export const UDACITY_SIM_FULL_SCALE_DEG = 25;

const SIM_COLUMNS = ['center', 'left', 'right', 'steering', 'throttle', 'brake', 'speed'];
const IMAGE = /\.(jpe?g|png|bmp)$/i;

/** The file name of a path written on any OS (C:\...\IMG\x.jpg, /Users/.../IMG/x.jpg, IMG/x.jpg). */
export function basenameAnyOs(p: string): string {
  const parts = p.trim().split(/[\\/]/);
  return parts[parts.length - 1];
}

/** True when the first record is 7+ cells: three image paths, then numbers (or the simulator's header). */
export function looksLikeUdacitySim(cells: string[]): boolean {
  if (cells.length < 7) return false;
  if (cells.slice(0, 4).map((c) => c.trim().toLowerCase()).join(',') === 'center,left,right,steering') return true;
  return IMAGE.test(cells[0].trim()) && cells.slice(3, 7).every((c) => parseNumberCell(c) !== null);
}

/** center_2016_12_01_13_30_48_287.jpg -> milliseconds since the epoch (clock of the recording machine). */
export function simStampMs(name: string): number | null {
  const m = /_(\d{4})_(\d{2})_(\d{2})_(\d{2})_(\d{2})_(\d{2})_(\d{3})\.[^.]+$/.exec(name);
  if (!m) return null;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], +m[7]);
}

/** Parses a simulator driving_log.csv; side cameras become extra rows (see LabelOptions.sideCameraCorrectionDeg). */
export function parseUdacitySim(text: string, path: string, opts: LabelOptions): LabelSet {
  const file = shortName(path);
  const warnings: string[] = [];
  let recs = parseTable(text, file, ',');
  if (recs.length > 0 && !isNumericRecord(recs[0].cells.slice(3, 7))) recs = recs.slice(1);
  if (recs.length === 0) throw lineError(file, null, 'the driving log has no rows', 'record a drive in the simulator first');
  const rows: RawRow[] = [];
  const stamps: (number | null)[] = [];
  const seen = new Map<string, number>();
  for (const rec of recs) {
    if (rec.cells.length < 4) {
      throw lineError(file, rec.line, `has ${rec.cells.length} cells, expected ${SIM_COLUMNS.join(',')}`, 'fix or delete the line');
    }
    const v = parseNumberCell(rec.cells[3]);
    if (v === null) throw lineError(file, rec.line, `steering cell (column 4) ${describeCell(rec.cells[3])}`, 'fix the cell or delete the line');
    const extras: Record<string, number> = {};
    for (let c = 4; c < Math.min(7, rec.cells.length); c++) {
      const x = parseNumberCell(rec.cells[c]);
      if (x !== null) extras[SIM_COLUMNS[c]] = x;
    }
    const center = basenameAnyOs(rec.cells[0]);
    if (center === '') throw lineError(file, rec.line, 'the center image cell is empty', 'fix or delete the line');
    const prev = seen.get(center);
    if (prev !== undefined) throw lineError(file, rec.line, `image ${center} is already labelled on line ${prev}`, 'keep one line per image');
    seen.set(center, rec.line);
    stamps.push(simStampMs(center));
    rows.push({ image: `IMG/${center}`, camera: 'center', raw: v, extras, line: rec.line });
    for (const [col, camera] of [[1, 'left'], [2, 'right']] as const) {
      const name = col < rec.cells.length ? basenameAnyOs(rec.cells[col]) : '';
      if (name !== '') rows.push({ image: `IMG/${name}`, camera, raw: v, extras: { ...extras }, line: rec.line });
    }
  }
  addSimTimes(rows, stamps, file, warnings);
  return convertRawRows({
    path,
    format: 'udacity-sim',
    key: 'image',
    rows,
    opts,
    defaults: { units: 'normalized', labelFullScaleDeg: UDACITY_SIM_FULL_SCALE_DEG, sign: 'positive-right' },
    warnings,
  });
}

/** Times from the centre image names, relative to the first; only when all are present and increasing. */
function addSimTimes(rows: RawRow[], stamps: (number | null)[], file: string, warnings: string[]): void {
  if (stamps.some((s) => s === null)) return;
  const t = stamps as number[];
  for (let i = 1; i < t.length; i++) {
    if (!(t[i] > t[i - 1])) {
      warnings.push(`${file}: image-name times are not increasing (line ${i + 1}); rows keep no time, match them by image name`);
      return;
    }
  }
  let k = -1;
  for (const r of rows) {
    if (r.camera === 'center') k++;
    r.timeS = (t[k] - t[0]) / 1000;
  }
}

/**
 * True for a challenge CSV: an angle column next to a frame_id holding a
 * nanosecond timestamp or a camera name (center_camera), or next to a
 * nanosecond timestamp column. A frame_id of small integers is a generic CSV.
 */
export function looksLikeUdacityChallenge(header: string[], firstRow: string[] | undefined): boolean {
  const norm = header.map(normalizeColumnName);
  if (!norm.some((n) => STEERING_NAMES.includes(n)) || !firstRow) return false;
  const isNs = (c: string | undefined) => {
    const v = parseNumberCell(c);
    return v !== null && v >= 1e17;
  };
  const fid = norm.indexOf('frame_id');
  if (fid >= 0 && (isNs(firstRow[fid]) || /^(left|right|center)_camera$/i.test((firstRow[fid] ?? '').trim()))) return true;
  const ts = norm.indexOf('timestamp');
  return ts >= 0 && isNs(firstRow[ts]);
}

/**
 * Parses a challenge CSV. Variants seen in the wild:
 * `frame_id,steering_angle` (frame_id = ns timestamp = image name),
 * `timestamp,angle,torque,speed` (steering.csv, matched by time), and
 * `index,timestamp,width,height,frame_id,filename,angle,...` (interpolated.csv,
 * frame_id = center_camera/left_camera/right_camera, filename = center/<ns>.jpg).
 */
export function parseUdacityChallenge(text: string, path: string, opts: LabelOptions): LabelSet {
  const file = shortName(path);
  const warnings: string[] = [];
  const recs = parseTable(text, file);
  if (recs.length < 2) throw lineError(file, null, 'the file has a header but no rows', 'add data rows below the header');
  const header = recs[0].cells;
  const norm = header.map(normalizeColumnName);
  const col = (names: string[], wanted?: string): number => {
    if (wanted !== undefined) return norm.indexOf(normalizeColumnName(wanted));
    for (const n of names) if (norm.includes(n)) return norm.indexOf(n);
    return -1;
  };
  const steer = col(STEERING_NAMES, opts.steeringColumn);
  if (steer < 0) throw lineError(file, 1, `no angle column among: ${header.join(', ')}`, 'pass --steering-column NAME');
  const frameId = col(['frame_id'], opts.frameColumn);
  const stamp = col(['timestamp'], opts.timeColumn);
  const filename = col(['filename']);
  const rows: RawRow[] = [];
  const times: number[] = [];
  const timeTexts: string[] = [];
  const seen = new Map<string, number>();
  const used = new Set([steer, frameId, stamp, filename, col(['index'])]);
  for (const rec of recs.slice(1)) {
    const num = (c: number, what: string): number => {
      const v = parseNumberCell(rec.cells[c]);
      if (v === null) throw lineError(file, rec.line, `${what} cell (column "${header[c]}") ${describeCell(rec.cells[c])}`, 'fix the cell or delete the line');
      return v;
    };
    const row: RawRow = { raw: num(steer, 'angle'), extras: {}, line: rec.line };
    const idCell = frameId >= 0 ? (rec.cells[frameId] ?? '').trim() : '';
    const camera = /^(left|right|center)_camera$/i.exec(idCell)?.[1].toLowerCase() as RawRow['camera'] | undefined;
    if (camera) row.camera = camera;
    if (filename >= 0) row.image = (rec.cells[filename] ?? '').trim().replace(/\\/g, '/');
    else if (frameId >= 0 && !camera) {
      if (!/^\d+$/.test(idCell)) throw lineError(file, rec.line, `frame_id "${idCell}" is not a number`, 'fix the cell or delete the line');
      row.image = `${idCell}.jpg`;
    }
    if (row.image !== undefined) {
      const prev = seen.get(row.image);
      if (prev !== undefined) throw lineError(file, rec.line, `image ${row.image} is already labelled on line ${prev}`, 'keep one line per image');
      seen.set(row.image, rec.line);
    }
    // The ns timestamp: its own column, or the numeric frame_id.
    const tCell = stamp >= 0 ? num(stamp, 'timestamp') : frameId >= 0 && /^\d+$/.test(idCell) ? Number(idCell) : null;
    if (tCell !== null) {
      times.push(tCell);
      timeTexts.push(stamp >= 0 ? rec.cells[stamp] : idCell);
    }
    for (let c = 0; c < header.length; c++) {
      if (used.has(c)) continue;
      const x = parseNumberCell(rec.cells[c]);
      if (x !== null) row.extras[header[c].trim()] = x;
    }
    rows.push(row);
  }
  if (times.length === rows.length) {
    // Side cameras share the centre's time, so only centre rows must increase.
    const centre = rows.map((r, i) => ({ r, t: times[i], s: timeTexts[i] })).filter((x) => x.r.camera === undefined || x.r.camera === 'center');
    checkIncreasing(centre.map((x) => x.t), centre.map((x) => x.r), file, 'timestamp (ns)', centre.map((x) => x.s));
    rows.forEach((r, i) => (r.timeS = (times[i] - times[0]) * 1e-9));
  }
  return convertRawRows({
    path,
    format: 'udacity-challenge',
    key: row0Key(rows),
    rows,
    opts,
    defaults: { units: 'radians', sign: 'positive-left' },
    warnings,
  });
}

function row0Key(rows: RawRow[]): LabelSet['key'] {
  return rows[0]?.image !== undefined ? 'image' : 'time';
}
