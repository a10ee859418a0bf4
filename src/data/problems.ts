/**
 * One place that words label-file errors, so every bad input reads the same:
 * "<file> line <n>: <what is wrong>; <what to do>".
 */
import { UserError } from '../errors.ts';

/** The file name as people see it (no directories: the CLI already said which folder). */
export function shortName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] || path;
}

/** A UserError that names the file, the 1-based line (when known) and the fix. */
export function lineError(file: string, line: number | null, problem: string, fix: string): UserError {
  const where = line === null ? file : `${file} line ${line}`;
  return new UserError(`${where}: ${problem}; ${fix}`);
}

/**
 * Parses one numeric cell strictly: '', 'NaN', 'inf', '1.2.3', '12abc' are all
 * refused (Number('') would silently give 0 and parseFloat('12abc') 12).
 * Returns null when the cell is not a finite number.
 */
export function parseNumberCell(cell: string | undefined): number | null {
  if (cell === undefined) return null;
  const s = cell.trim();
  if (s === '' || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return null;
  const v = Number(s);
  return Number.isFinite(v) ? v : null;
}

/** Describes a bad cell for an error message: empty, NaN, or the text itself. */
export function describeCell(cell: string | undefined): string {
  if (cell === undefined || cell.trim() === '') return 'is empty';
  const s = cell.trim();
  if (/^[+-]?nan$/i.test(s)) return 'is NaN';
  return `"${s.length > 24 ? s.slice(0, 24) + '...' : s}" is not a number`;
}

/** Removes a UTF-8 byte-order mark and refuses binary content (a video passed as labels). */
export function checkText(text: string, file: string): string {
  const t = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (t.trim() === '') {
    throw lineError(file, null, 'the label file is empty', 'pass a file with a header line and at least one row');
  }
  const probe = t.slice(0, 4096);
  if (probe.includes('\u0000')) {
    throw lineError(file, null, 'this is not a text label file (it contains binary data)', 'pass the steering log (CSV, data.txt, driving_log.csv or a Donkey tub folder), not the video');
  }
  return t;
}
