/**
 * Writes the frames a reference job needs into one flat uint8 file
 * (records x H x W x 3, NHWC) for reference.py to memory-map: read from the
 * data set's frame store with positioned reads, written in chunks, so
 * neither side ever holds the drive in memory (let alone as floats).
 */
import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { CancelledError } from '../errors.ts';
import type { FrameStore } from '../video/types.ts';

/** Frames per write: 64 x 66x200x3 is 2.5 MB, large enough for sequential I/O, small enough to stay out of the way. */
const CHUNK_FRAMES = 64;

/**
 * Writes frame `frameOfRecord[k]` of `store` as record k of `path`.
 * Calls onProgress(done, total) after each chunk; on abort (or error) the
 * partial file is removed.
 */
export async function dumpFrames(
  store: FrameStore, frameOfRecord: ArrayLike<number>, path: string, o: { signal?: AbortSignal; onProgress?(done: number, total: number): void } = {},
): Promise<void> {
  const per = store.width * store.height * 3;
  const total = frameOfRecord.length;
  const buf = new Uint8Array(per * Math.min(CHUNK_FRAMES, Math.max(1, total)));
  const fd = openSync(path, 'w');
  let ok = false;
  try {
    for (let start = 0; start < total; start += CHUNK_FRAMES) {
      if (o.signal?.aborted) throw new CancelledError();
      const n = Math.min(CHUNK_FRAMES, total - start);
      for (let k = 0; k < n; k++) store.read(frameOfRecord[start + k], buf.subarray(k * per, (k + 1) * per));
      writeSync(fd, buf, 0, n * per, start * per);
      o.onProgress?.(start + n, total);
      // Let the abort signal and progress output in between chunks.
      await new Promise((r) => setImmediate(r));
    }
    ok = true;
  } finally {
    closeSync(fd);
    if (!ok) {
      try { unlinkSync(path); } catch { /* never created */ }
    }
  }
}
