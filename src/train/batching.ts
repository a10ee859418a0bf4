/**
 * Deterministic batching helpers: sub-seeds, per-epoch shuffles, and
 * dropping samples whose angle was lost (NaN).
 */
import { createRng } from '../rng.ts';
import type { Batch } from './data.ts';

/** Integer mixing of seed and stream ids (deterministic sub-seeds). */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ (p | 0), 0x01000193);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
  }
  return h >>> 0;
}

export function shuffled(n: number, seed: number): Int32Array {
  const rng = createRng(seed);
  const a = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/** Drops samples whose angle is not finite (dropped frames) so they cannot poison the loss. */
export function finiteBatch(b: Batch): Batch {
  let bad = 0;
  for (let i = 0; i < b.size; i++) if (!Number.isFinite(b.yDeg[i])) bad++;
  if (bad === 0) return b;
  const per = b.x.length / b.size;
  const n = b.size - bad;
  const x = new Float32Array(n * per);
  const yDeg = new Float32Array(n);
  for (let i = 0, k = 0; i < b.size; i++) {
    if (!Number.isFinite(b.yDeg[i])) continue;
    x.set(b.x.subarray(i * per, (i + 1) * per), k * per);
    yDeg[k++] = b.yDeg[i];
  }
  return { x, yDeg, size: n };
}

export function chunk<T>(xs: T[], k: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += k) out.push(xs.slice(i, i + k));
  return out;
}

