/**
 * Sully Chen's driving data set `data.txt`: one image and its steering-wheel
 * angle in degrees per line, optionally followed by the capture time:
 *   12.jpg 3.5
 *   12.jpg 3.5,2018-07-01 12:00:00:123
 */
import type { LabelOptions, LabelSet } from './types.ts';
import { convertRawRows, type RawRow } from './convert-rows.ts';
import { checkIncreasing } from './csv-generic.ts';
import { describeCell, lineError, parseNumberCell, shortName } from './problems.ts';
import { parseClockTimeMs } from './time-units.ts';

const LINE = /^(\S+\.(?:jpe?g|png|bmp|gif|webp))\s+([^,\s]+)\s*(?:,\s*(.+))?$/i;

/** True when the first non-empty lines look like `name.jpg angle`. */
export function looksLikeSully(text: string): boolean {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '').slice(0, 5);
  return lines.length > 0 && lines.every((l) => LINE.test(l.trim()));
}

/** Parses a data.txt. Pure: text in, LabelSet out; key = image name. */
export function parseSully(text: string, path: string, opts: LabelOptions): LabelSet {
  const file = shortName(path);
  const warnings: string[] = [];
  const rows: RawRow[] = [];
  const stamps: number[] = [];
  const seen = new Map<string, number>();
  text.split(/\r?\n/).forEach((l, i) => {
    const s = l.trim();
    if (s === '') return;
    const line = i + 1;
    const m = LINE.exec(s);
    if (!m) throw lineError(file, line, `"${s.slice(0, 40)}" is not "image.jpg angle"`, 'fix or delete the line');
    const v = parseNumberCell(m[2]);
    if (v === null) throw lineError(file, line, `steering angle ${describeCell(m[2])}`, 'fix the angle or delete the line');
    const prev = seen.get(m[1]);
    if (prev !== undefined) throw lineError(file, line, `image ${m[1]} is already labelled on line ${prev}`, 'keep one line per image');
    seen.set(m[1], line);
    const row: RawRow = { image: m[1], raw: v, extras: {}, line };
    const num = /^(\d+)\.[^.]+$/.exec(m[1]);
    if (num) row.frameIndex = Number(num[1]);
    if (m[3] !== undefined) {
      const t = parseClockTimeMs(m[3]);
      if (t === null) throw lineError(file, line, `time "${m[3]}" is not "YYYY-MM-DD hh:mm:ss:mmm"`, 'fix the time or remove it after the comma');
      stamps.push(t);
    }
    rows.push(row);
  });
  if (stamps.length === rows.length && rows.length > 0) {
    checkIncreasing(stamps, rows, file, 'capture time (ms)');
    rows.forEach((r, i) => (r.timeS = (stamps[i] - stamps[0]) / 1000));
  } else if (stamps.length > 0) {
    warnings.push(`${file}: ${stamps.length} of ${rows.length} lines carry a capture time; times ignored`);
  }
  return convertRawRows({ path, format: 'sully', key: 'image', rows, opts, defaults: { units: 'degrees', sign: 'positive-right' }, warnings });
}
