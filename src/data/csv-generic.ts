/**
 * Generic CSV/TSV steering logs: a time column (s, ms or ns) or a frame-index
 * column, a steering column, and any other numeric columns kept as extras.
 */
import type { AngleUnits, LabelOptions, LabelSet } from './types.ts';
import { convertRawRows, type RawRow } from './convert-rows.ts';
import { describeCell, lineError, parseNumberCell, shortName } from './problems.ts';
import { isNumericRecord, parseTable, type TableRecord } from './table.ts';
import { EPOCH_THRESHOLD_S, SECONDS_PER, inferTimeUnit, parseClockTimeMs, timeUnitFromName, type TimeUnit } from './time-units.ts';
import { fmt } from './units.ts';

/** Lower case, unit in brackets removed, separators as underscores: "Steering Angle (deg)" -> "steering_angle". */
export function normalizeColumnName(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/\s*[(\[][^)\]]*[)\]]\s*$/, '')
    .replace(/[\s\-./]+/g, '_');
}

export const TIME_NAMES = ['time', 'timestamp', 't', 'ts', 'time_s', 'time_sec', 'timestamp_s', 'time_ms', 'timestamp_ms', 't_ms', 't_s', 'time_ns', 'timestamp_ns', 't_ns', 'stamp', 'seconds', 'sec', 'elapsed', 'elapsed_s'];
export const FRAME_NAMES = ['frame', 'frame_index', 'frame_id', 'index', 'frame_idx', 'frame_number', 'frame_no', 'frame_num', 'idx', 'image_index'];
export const IMAGE_NAMES = ['image', 'filename', 'file', 'img', 'image_path', 'image_name', 'image_file', 'frame_path', 'path', 'center'];
export const STEERING_NAMES = ['steering', 'steering_angle', 'angle', 'steer', 'steering_deg', 'steering_rad', 'steering_angle_deg', 'steering_angle_rad', 'angle_deg', 'angle_rad', 'wheel_angle', 'steering_wheel_angle', 'steering_wheel', 'swa', 'user_angle', 'steering_norm'];

/** Units read from a steering column's name: steering_deg, angle_rad, "steering (rad)". */
export function angleUnitsFromName(name: string): AngleUnits | undefined {
  const n = name.toLowerCase();
  if (/(^|[_\s(\[])(deg|degs|degrees)\)?\]?$/.test(n)) return 'degrees';
  if (/(^|[_\s(\[])(rad|rads|radians)\)?\]?$/.test(n)) return 'radians';
  if (/(^|[_\s(\[])(norm|normalized|normalised)\)?\]?$/.test(n)) return 'normalized';
  return undefined;
}

interface Columns {
  time?: number;
  frame?: number;
  image?: number;
  steering: number;
}

function findColumn(header: string[], wanted: string | undefined, names: string[], file: string, what: string): number | undefined {
  const norm = header.map(normalizeColumnName);
  if (wanted !== undefined) {
    let i = header.findIndex((h) => h.trim().toLowerCase() === wanted.trim().toLowerCase());
    if (i < 0) i = norm.indexOf(normalizeColumnName(wanted));
    if (i < 0) {
      throw lineError(file, 1, `no column named "${wanted}" for the ${what} (columns: ${header.join(', ')})`, `pass one of these names to the ${what} column option`);
    }
    return i;
  }
  for (const n of names) {
    const i = norm.indexOf(n);
    if (i >= 0) return i;
  }
  return undefined;
}

/**
 * A header worth quoting back: several short column names. Anything else
 * (one long field, e.g. a line of /etc/passwd given by mistake) is not a
 * label file's header, and its content is not repeated in the error.
 */
function looksLikeHeader(header: string[]): boolean {
  return header.length > 1 && header.every((h) => h.length <= 40);
}

function identify(header: string[], opts: LabelOptions, file: string): Columns {
  if (!looksLikeHeader(header)) {
    throw lineError(file, 1, 'this is not a label table: line 1 is not a header of named columns separated by commas, tabs, semicolons or spaces', 'give a label file (CSV with a steering column and a time, frame or image column; Sully data.txt; driving_log.csv; a Donkey tub)');
  }
  const steering = findColumn(header, opts.steeringColumn, STEERING_NAMES, file, 'steering');
  if (steering === undefined) {
    throw lineError(file, 1, `no steering column found among: ${header.join(', ')}`, 'name it "steering" or pass --steering-column NAME');
  }
  const time = findColumn(header, opts.timeColumn, TIME_NAMES, file, 'time');
  const frame = findColumn(header, opts.frameColumn, FRAME_NAMES, file, 'frame');
  const image = findColumn(header, undefined, IMAGE_NAMES, file, 'image');
  if (time === undefined && frame === undefined && image === undefined) {
    throw lineError(file, 1, `no time, frame or image column found among: ${header.join(', ')}`, 'name one "time" (or "timestamp_ms", ...), "frame_index" or "image", or pass --time-column / --frame-column');
  }
  return { time, frame, image, steering };
}

function cell(rec: TableRecord, col: number, header: string[], file: string, required: string): string {
  if (col >= rec.cells.length) {
    throw lineError(file, rec.line, `has ${rec.cells.length} cells but the ${required} column "${header[col]}" is column ${col + 1}`, 'add the missing cells or delete the row');
  }
  return rec.cells[col];
}

function numberAt(rec: TableRecord, col: number, header: string[], file: string, what: string): number {
  const c = cell(rec, col, header, file, what);
  const v = parseNumberCell(c);
  if (v === null) {
    throw lineError(file, rec.line, `${what} cell (column "${header[col]}") ${describeCell(c)}`, 'fix the cell or delete the row');
  }
  return v;
}

function clockAt(rec: TableRecord, col: number, header: string[], file: string): number {
  const c = cell(rec, col, header, file, 'time');
  const v = parseClockTimeMs(c);
  if (v === null) throw lineError(file, rec.line, `time cell (column "${header[col]}") "${c.trim()}" is not a clock time like the first row's`, 'write every time as YYYY-MM-DD hh:mm:ss.mmm or delete the row');
  return v;
}

/** Parses a generic steering CSV/TSV. Pure: text in, LabelSet out. */
export function parseGenericCsv(text: string, path: string, opts: LabelOptions): LabelSet {
  const file = shortName(path);
  const warnings: string[] = [];
  const { header, body, cols } = readHeader(parseTable(text, file), opts, file, warnings);
  const { raw, times } = readRows(body, header, cols, file);
  if (cols.time !== undefined && times) setTimes(raw, times, header[cols.time], opts, file, warnings);
  if (cols.frame !== undefined) {
    checkUniqueFrames(raw, file, header[cols.frame]);
    const min = raw.reduce((m, r) => Math.min(m, r.frameIndex as number), Infinity);
    if (min === 1) warnings.push(`${file}: frame indices start at 1; the lab counts frames from 0, so label 1 goes to the second frame (subtract 1 in the file if that is wrong)`);
  }
  if (cols.image !== undefined) checkUniqueImages(raw, file);
  keepExtras(header, body, cols, raw);
  // Frame numbers and image names match exactly; time needs interpolation, so it comes last
  // unless the time column was named by option.
  const key: LabelSet['key'] =
    opts.timeColumn !== undefined && cols.time !== undefined ? 'time' : cols.frame !== undefined ? 'frame' : cols.image !== undefined ? 'image' : 'time';
  return convertRawRows({
    path,
    format: 'csv',
    key,
    rows: raw,
    opts,
    defaults: { sign: 'positive-right' },
    columnUnits: angleUnitsFromName(header[cols.steering]),
    warnings,
  });
}

/** The header (or column1.. when there is none), the data rows and which column holds what. */
function readHeader(recs: TableRecord[], opts: LabelOptions, file: string, warnings: string[]): { header: string[]; body: TableRecord[]; cols: Columns } {
  if (recs.length === 0) throw lineError(file, null, 'the label file has no rows', 'pass a file with a header line and at least one row');
  let header: string[];
  let body: TableRecord[];
  let cols: Columns;
  if (isNumericRecord(recs[0].cells)) {
    // No header: column 1 is time or frame, column 2 steering (the usual two-column log).
    if (recs[0].cells.length < 2) throw lineError(file, recs[0].line, 'needs at least two columns (time or frame, steering)', 'add a header such as "time,steering"');
    header = recs[0].cells.map((_, i) => `column${i + 1}`);
    body = recs;
    const first = recs.map((r) => parseNumberCell(r.cells[0]));
    const isFrames = first.every((v, i) => v !== null && Number.isInteger(v) && (i === 0 || v === (first[i - 1] as number) + 1));
    cols = isFrames ? { frame: 0, steering: 1 } : { time: 0, steering: 1 };
    warnings.push(`${file}: no header line; read column 1 as ${isFrames ? 'frame index' : 'time'} and column 2 as steering (add a header to be explicit)`);
  } else {
    header = recs[0].cells;
    body = recs.slice(1);
    cols = identify(header, opts, file);
  }
  if (body.length === 0) throw lineError(file, null, 'the label file has a header but no rows', 'add data rows below the header');
  return { header, body, cols };
}

/** Times as written in the time column: numbers (or clock times read as ms) and the cell texts for error messages. */
interface RawTimes {
  values: number[];
  texts: string[];
  /** The column holds written clock times (2018-07-01 12:00:00.123), read as milliseconds. */
  clock: boolean;
}

/** One RawRow per data row (steering, frame, image), plus the time column's raw values when there is one. */
function readRows(body: TableRecord[], header: string[], cols: Columns, file: string): { raw: RawRow[]; times: RawTimes | null } {
  const clock = cols.time !== undefined && parseClockTimeMs(body[0].cells[cols.time] ?? '') !== null;
  const times: RawTimes | null = cols.time !== undefined ? { values: [], texts: [], clock } : null;
  const raw: RawRow[] = [];
  for (const rec of body) {
    const row: RawRow = { raw: numberAt(rec, cols.steering, header, file, 'steering'), extras: {}, line: rec.line };
    if (cols.time !== undefined && times) {
      times.values.push(clock ? clockAt(rec, cols.time, header, file) : numberAt(rec, cols.time, header, file, 'time'));
      times.texts.push(rec.cells[cols.time]);
    }
    if (cols.frame !== undefined) {
      const f = numberAt(rec, cols.frame, header, file, 'frame');
      if (!Number.isInteger(f) || f < 0) throw lineError(file, rec.line, `frame index ${f} is not a whole number >= 0`, 'fix the cell or delete the row');
      row.frameIndex = f;
    }
    if (cols.image !== undefined) {
      const name = cell(rec, cols.image, header, file, 'image').replace(/\\/g, '/');
      if (name === '') throw lineError(file, rec.line, `image cell (column "${header[cols.image]}") is empty`, 'fix the cell or delete the row');
      row.image = name;
    }
    raw.push(row);
  }
  return { raw, times };
}

/**
 * Sets each row's timeS in seconds: picks the unit (clock times: ms; the
 * option; the column name; else inferred, with a warning), checks the times
 * increase, and counts clock times (epoch stamps) from the first row.
 */
function setTimes(raw: RawRow[], times: RawTimes, timeName: string, opts: LabelOptions, file: string, warnings: string[]): void {
  const timesRaw = times.values;
  let unit: TimeUnit;
  if (times.clock) unit = 'ms';
  else if (opts.timeUnit && opts.timeUnit !== 'auto') unit = opts.timeUnit;
  else {
    const named = timeUnitFromName(timeName);
    if (named) unit = named;
    else {
      const inf = inferTimeUnit(timesRaw);
      unit = inf.unit;
      warnings.push(`${file}: time unit of column "${timeName}" inferred: ${inf.evidence}`);
    }
  }
  checkIncreasing(timesRaw, raw, file, `time (column "${timeName}", ${unit})`, times.texts);
  const base = timesRaw[0] * SECONDS_PER[unit] > EPOCH_THRESHOLD_S ? timesRaw[0] : 0;
  if (base !== 0) {
    warnings.push(`${file}: times are clock times (first ${fmt(timesRaw[0])} ${unit}); label time 0 s = the first row, shift with --offset-ms if the video started earlier or later`);
  }
  raw.forEach((r, i) => (r.timeS = (timesRaw[i] - base) * SECONDS_PER[unit]));
}

/** Throws on the first time that is not after the one before it (duplicate or out of order). */
export function checkIncreasing(times: number[], rows: { line: number }[], file: string, what: string, texts?: string[]): void {
  // Quote the cells as written: nanosecond clock times lose their last digits as doubles.
  const show = (i: number) => (texts ? texts[i].trim() : fmt(times[i]));
  for (let i = 1; i < times.length; i++) {
    if (!(times[i] > times[i - 1])) {
      const kind = times[i] === times[i - 1] ? 'duplicates' : 'is earlier than';
      throw lineError(file, rows[i].line, `${what} ${show(i)} ${kind} line ${rows[i - 1].line} (${show(i - 1)})`, 'sort the rows by time and remove duplicate rows');
    }
  }
}

function checkUniqueFrames(rows: RawRow[], file: string, name: string): void {
  const seen = new Map<number, number>();
  for (const r of rows) {
    const prev = seen.get(r.frameIndex as number);
    if (prev !== undefined) {
      throw lineError(file, r.line, `frame ${r.frameIndex} (column "${name}") duplicates line ${prev}`, 'keep one row per frame');
    }
    seen.set(r.frameIndex as number, r.line);
  }
}

function checkUniqueImages(rows: RawRow[], file: string): void {
  const seen = new Map<string, number>();
  for (const r of rows) {
    const prev = seen.get(r.image as string);
    if (prev !== undefined) throw lineError(file, r.line, `image ${r.image} is already labelled on line ${prev}`, 'keep one row per image');
    seen.set(r.image as string, r.line);
  }
}

/** Keeps every other column whose non-empty cells are all numbers (speed, throttle, ...). */
function keepExtras(header: string[], body: TableRecord[], cols: Columns, rows: RawRow[]): void {
  const used = new Set([cols.time, cols.frame, cols.image, cols.steering]);
  for (let c = 0; c < header.length; c++) {
    if (used.has(c)) continue;
    const vals = body.map((r) => (c < r.cells.length && r.cells[c].trim() !== '' ? parseNumberCell(r.cells[c]) : undefined));
    if (vals.some((v) => v === null) || vals.every((v) => v === undefined)) continue;
    const name = header[c].trim();
    vals.forEach((v, i) => {
      if (typeof v === 'number') rows[i].extras[name] = v;
    });
  }
}
