/**
 * Image folders and numbered image sequences as frame sources. Files are
 * ordered naturally ("2.jpg" before "10.jpg"), the order a person means.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { UserError } from '../errors.ts';

const IMAGE_EXT = /\.(jpe?g|png|bmp|webp|tiff?)$/i;

/** Natural-order comparison: digit runs compare as numbers. */
export const naturalCompare = new Intl.Collator('en', { numeric: true, sensitivity: 'base' }).compare;

export interface ImageSource {
  /** Folder the names are relative to. */
  root: string;
  /** Absolute paths in frame order. */
  paths: string[];
  /** Paths relative to root with '/' separators, in frame order (what image-keyed labels name). */
  names: string[];
}

function walk(dir: string, out: string[], depth: number): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isFile() && IMAGE_EXT.test(e.name)) out.push(p);
    // One level down covers Sully's data set and Udacity's IMG/ and Donkey's images/ folders.
    else if (e.isDirectory() && depth > 0) walk(p, out, depth - 1);
  }
}

/** True when the source names a printf-style numbered sequence such as "frames/img_%05d.png". */
export function isSequencePattern(source: string): boolean {
  return /%0?\d*d/.test(basename(source));
}

/**
 * Lists the frames of an image folder (recursing one level) or of a numbered
 * sequence pattern; throws UserError when there are none.
 */
export function listImages(source: string): ImageSource {
  let root: string;
  let paths: string[] = [];
  if (isSequencePattern(source)) {
    root = dirname(source);
    const [pre, post] = basename(source).split(/%0?\d*d/);
    const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const re = new RegExp(`^${esc(pre)}\\d+${esc(post)}$`);
    try {
      paths = readdirSync(root).filter((f) => re.test(f)).map((f) => join(root, f));
    } catch {
      throw new UserError(`cannot read the folder "${root}" of sequence "${source}"; check the path`);
    }
  } else {
    root = source;
    walk(source, paths, 1);
  }
  if (paths.length === 0) {
    throw new UserError(`"${source}" holds no images (.jpg, .png, .bmp, .webp, .tif); give a folder of frames or a video file`);
  }
  const names = paths.map((p) => relative(root, p).split('\\').join('/'));
  const order = names.map((_, i) => i).sort((a, b) => naturalCompare(names[a], names[b]));
  return { root, paths: order.map((i) => paths[i]), names: order.map((i) => names[i]) };
}

/** A cheap fingerprint of an image set for the cache key: names, sizes and modification times. */
export function imagesFingerprint(src: ImageSource): string {
  const parts: string[] = [];
  for (let i = 0; i < src.paths.length; i++) {
    const st = statSync(src.paths[i]);
    parts.push(`${src.names[i]}:${st.size}:${Math.round(st.mtimeMs)}`);
  }
  return parts.join('\n');
}

/**
 * ffmpeg concat-demuxer list for the images. Quotes are escaped the way the
 * demuxer wants ('\'' inside single quotes), so any file name works.
 */
export function concatList(paths: string[], frameDurationS: number): string {
  const lines = ['ffconcat version 1.0'];
  for (const p of paths) {
    lines.push(`file 'file:${p.replace(/'/g, "'\\''")}'`);
    lines.push(`duration ${frameDurationS}`);
  }
  return lines.join('\n') + '\n';
}
