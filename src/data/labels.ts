/**
 * Label files in, LabelSet out (pure: the text is passed in). Five formats,
 * detected from the file name and content, or forced with LabelOptions.format.
 */
import type { LabelFormat, LabelOptions, LabelSet } from './types.ts';
import { parseGenericCsv } from './csv-generic.ts';
import { looksLikeDonkeyCatalog, parseDonkeyTub } from './donkey.ts';
import { checkText, lineError, shortName } from './problems.ts';
import { looksLikeSully, parseSully } from './sully.ts';
import { detectDelimiter, parseTable } from './table.ts';
import { looksLikeUdacityChallenge, looksLikeUdacitySim, parseUdacityChallenge, parseUdacitySim } from './udacity.ts';

export { parseDonkeyTub } from './donkey.ts';

/** Guesses the format: known file names first, then the shape of the first lines. Never throws. */
export function detectFormat(fileName: string, text: string): LabelFormat {
  const name = shortName(fileName).toLowerCase();
  if (name === 'driving_log.csv') return 'udacity-sim';
  if (name === 'manifest.json' || name.endsWith('.catalog') || looksLikeDonkeyCatalog(text)) return 'donkey';
  if (name === 'data.txt' || looksLikeSully(text)) return 'sully';
  const head = text.split(/\r?\n/).filter((l) => l.trim() !== '').slice(0, 3).join('\n');
  let recs: { cells: string[] }[];
  try {
    recs = parseTable(head, name, detectDelimiter(head));
  } catch {
    return 'csv';
  }
  if (recs.length === 0) return 'csv';
  if (looksLikeUdacitySim(recs[0].cells)) return 'udacity-sim';
  if (looksLikeUdacityChallenge(recs[0].cells, recs[1]?.cells)) return 'udacity-challenge';
  return 'csv';
}

/**
 * Parses label text into rows in degrees, positive = right. `fileName` names
 * the file in errors and warnings. A Donkey catalog can be parsed alone here;
 * a whole tub (manifest + catalogs) goes through parseDonkeyTub or readLabels.
 * Throws UserError naming the file, the line and the fix.
 */
export function parseLabels(text: string, fileName: string, opts: LabelOptions = {}): LabelSet {
  const file = shortName(fileName);
  const t = checkText(text, file);
  const format = opts.format && opts.format !== 'auto' ? opts.format : detectFormat(fileName, t);
  switch (format) {
    case 'csv':
      return parseGenericCsv(t, fileName, opts);
    case 'sully':
      return parseSully(t, fileName, opts);
    case 'udacity-sim':
      return parseUdacitySim(t, fileName, opts);
    case 'udacity-challenge':
      return parseUdacityChallenge(t, fileName, opts);
    case 'donkey':
      if (file.toLowerCase() === 'manifest.json') {
        throw lineError(file, null, 'a tub manifest lists catalogs but holds no labels', 'pass the tub folder instead of manifest.json');
      }
      return parseDonkeyTub(null, [{ name: file, text: t }], opts, fileName);
  }
}
