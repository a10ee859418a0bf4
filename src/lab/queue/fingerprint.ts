/**
 * What a queued cell says about its data, so a worker on another machine can
 * check it reads the same drive: every file of the data set (a video, or each
 * image of a folder, and the label file) with its size, and one SHA-256 over
 * their contents in a fixed order. Hashing streams the files; a 100 MB image
 * folder takes well under a second per core.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DatasetSpec } from '../../video/types.ts';

export interface DataFingerprint {
  /** The paths the job names (as given: a path every machine sees). */
  paths: string[];
  /** Files hashed, in order, and their total size in bytes. */
  files: number;
  bytes: number;
  /** SHA-256 (hex) over each file's relative name, size and contents. */
  sha256: string;
}

/** Files under a source: itself, or a folder's files (recursively, sorted by relative path). */
function filesOf(path: string): { abs: string; rel: string; size: number }[] {
  const st = statSync(path);
  if (!st.isDirectory()) return [{ abs: path, rel: '', size: st.size }];
  const out: { abs: string; rel: string; size: number }[] = [];
  const walk = (dir: string, rel: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const abs = join(dir, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(abs, r);
      else if (e.isFile()) out.push({ abs, rel: r, size: statSync(abs).size });
    }
  };
  walk(path, '');
  return out;
}

async function hashFile(h: ReturnType<typeof createHash>, path: string): Promise<void> {
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
}

/**
 * Fingerprint of a data set's files. Throws an Error naming the first path
 * that does not exist (the worker turns it into a refusal).
 */
export async function fingerprintData(specs: DatasetSpec[]): Promise<DataFingerprint> {
  const paths = specs.flatMap((s) => (s.labels ? [s.source, s.labels] : [s.source]));
  const h = createHash('sha256');
  let files = 0;
  let bytes = 0;
  for (const p of paths) {
    if (!existsSync(p)) throw new Error(`${p} does not exist on this machine`);
    for (const f of filesOf(p)) {
      h.update(`${p}\0${f.rel}\0${f.size}\0`);
      await hashFile(h, f.abs);
      files++;
      bytes += f.size;
    }
  }
  return { paths, files, bytes, sha256: h.digest('hex') };
}

/** Why a worker's data differs from the job's, or null when it is the same. */
export function fingerprintMismatch(want: DataFingerprint, have: DataFingerprint): string | null {
  if (have.files !== want.files) return `${want.paths.join(', ')} has ${have.files} files here, ${want.files} on the coordinator`;
  if (have.bytes !== want.bytes) return `${want.paths.join(', ')} is ${have.bytes} bytes here, ${want.bytes} on the coordinator`;
  if (have.sha256 !== want.sha256) return `${want.paths.join(', ')} has other contents here (SHA-256 ${have.sha256.slice(0, 12)}, coordinator ${want.sha256.slice(0, 12)})`;
  return null;
}
