/**
 * Disk full, said plainly: which file could not be written, how much it
 * needed and how much the disk has, instead of `internal error: ENOSPC`.
 */
import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from './errors.ts';

/** Bytes as a person reads them (1 decimal, binary units). */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${Math.round(v)} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** Free bytes for this user on the disk holding `dir` (or its nearest existing parent); null when the system cannot say. */
export function freeBytes(dir: string): number | null {
  for (let d = dir; ; d = dirname(d)) {
    try {
      const s = statfsSync(d);
      return s.bavail * s.bsize;
    } catch {
      if (dirname(d) === d) return null;
    }
  }
}

function diskFullMessage(path: string, neededBytes: number, free: number | null): string {
  const has = free === null ? '' : `, ${formatBytes(free)} free`;
  return `disk full: ${path} needs ${formatBytes(neededBytes)}${has} on that disk; free some space or use a workspace on another disk (--workspace DIR)`;
}

/** True for the errors a full disk (or quota) raises. */
export function isDiskFull(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/**
 * The error to throw for a failed write of `path` (neededBytes long): a
 * UserError naming the path and the space when the disk is full, else the
 * original error unchanged.
 */
export function explainWriteError(err: unknown, path: string, neededBytes: number): unknown {
  if (!isDiskFull(err)) return err;
  return new UserError(diskFullMessage(path, neededBytes, freeBytes(dirname(path))));
}

/** Refuses up front a write of neededBytes into `dir` that the disk cannot hold. */
export function assertDiskRoom(path: string, neededBytes: number): void {
  const free = freeBytes(dirname(path));
  if (free !== null && neededBytes > free) throw new UserError(diskFullMessage(path, neededBytes, free));
}
