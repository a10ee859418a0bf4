/**
 * The one place in data/ that touches the file system: reads a label file or
 * a data-set folder and hands the text to the pure parsers.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import type { LabelOptions, LabelSet } from './types.ts';
import { parseDonkeyTub, parseLabels } from './labels.ts';
import { checkText } from './problems.ts';

/** Label files looked for, in order, when a folder is given. */
export const FOLDER_LABEL_FILES = ['driving_log.csv', 'data.txt', 'labels.csv', 'steering.csv', 'interpolated.csv', 'labels.tsv'];

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new UserError(`${path}: cannot read the label file (${(e as NodeJS.ErrnoException).code ?? String(e)}); check the path`);
  }
}

async function readTub(dir: string, opts: LabelOptions): Promise<LabelSet> {
  const manifest = await readText(join(dir, 'manifest.json'));
  const names = (await readdir(dir)).filter((n) => n.endsWith('.catalog')).sort();
  const catalogs = await Promise.all(names.map(async (name) => ({ name, text: await readText(join(dir, name)) })));
  return parseDonkeyTub(checkText(manifest, 'manifest.json'), catalogs, opts, dir);
}

/**
 * Reads labels from a file, or from a folder holding a Donkey tub
 * (manifest.json) or one of FOLDER_LABEL_FILES. Throws UserError naming the
 * file, the line and the fix.
 */
export async function readLabels(path: string, opts: LabelOptions = {}): Promise<LabelSet> {
  let st;
  try {
    st = await stat(path);
  } catch {
    throw new UserError(`${path}: no such label file or folder; check the path (quote it if it has spaces)`);
  }
  if (st.isDirectory()) {
    const entries = new Set(await readdir(path));
    const otherFormat = opts.format !== undefined && opts.format !== 'auto' && opts.format !== 'donkey';
    if (entries.has('manifest.json') && !otherFormat) return readTub(path, opts);
    const found = FOLDER_LABEL_FILES.find((n) => entries.has(n));
    if (!found) {
      throw new UserError(`${path}: no label file found (looked for manifest.json, ${FOLDER_LABEL_FILES.join(', ')}); pass the label file with --labels`);
    }
    return readLabels(join(path, found), opts);
  }
  // A FIFO, socket or device would block the read (or never end): refuse anything but a regular file.
  if (!st.isFile()) throw new UserError(`${path}: not a regular file; give a label file (CSV, data.txt, driving_log.csv) or a Donkey tub folder`);
  if (path.split(/[\\/]/).pop() === 'manifest.json') return readTub(join(path, '..'), opts);
  return parseLabels(await readText(path), path, opts);
}
