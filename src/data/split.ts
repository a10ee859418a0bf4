/**
 * Train/validation split in contiguous blocks. Adjacent dashcam frames are
 * near duplicates, so a shuffled per-frame split leaks validation frames into
 * training; contiguous blocks with guard frames dropped on both sides do not.
 * Blocks are spread across the drive (one per equal segment, at a seeded
 * position inside it) because a single tail block can be all straight road.
 */
import { z } from 'zod';
import { UserError } from '../errors.ts';
import { createRng } from '../rng.ts';

/** How a run holds out validation frames (RunConfig.split); defaults here are the lab's defaults. */
export const SplitConfig = z.strictObject({
  /** Fraction of samples held out for validation, in contiguous time blocks. */
  valFraction: z.number().gt(0).lt(1).default(0.2),
  /** Number of validation blocks spread across the drive. */
  blocks: z.number().int().positive().default(4),
  /** Frames dropped on each side of a validation block (adjacent frames are near duplicates). */
  guardFrames: z.number().int().nonnegative().default(10),
  /**
   * Seed of the validation blocks' positions, separate from the run's seed, so
   * runs with different model seeds are validated on the same frames.
   */
  seed: z.number().int().default(1),
});
export type SplitConfig = z.infer<typeof SplitConfig>;

export interface BlockSplit {
  /** Training sample indices, ascending; none within guardFrames of a validation block. */
  train: Int32Array;
  /** Validation sample indices, ascending. */
  val: Int32Array;
  /** Validation blocks as half-open index ranges [start, end). */
  blocks: { start: number; end: number }[];
}

/**
 * Splits samples 0..n-1 (in time order). The validation set holds
 * round(n * valFraction) samples in min(blocks, that count) blocks; guard
 * samples on each side of every block belong to neither set.
 */
export function blockSplit(n: number, cfg: SplitConfig, seed: number): BlockSplit {
  if (!Number.isInteger(n) || n < 2) throw new UserError(`cannot split ${n} samples into training and validation; the data set needs at least 2 labelled frames`);
  const rng = createRng(seed);
  const valTotal = Math.max(1, Math.round(n * cfg.valFraction));
  const k = Math.max(1, Math.min(cfg.blocks, valTotal));
  const role = new Uint8Array(n); // 0 train, 1 val, 2 guard
  const blocks: { start: number; end: number }[] = [];
  for (let j = 0; j < k; j++) {
    const s0 = Math.floor((j * n) / k);
    const s1 = Math.floor(((j + 1) * n) / k);
    const len = Math.min(s1 - s0, Math.floor(valTotal / k) + (j < valTotal % k ? 1 : 0));
    if (len <= 0) continue;
    const start = s0 + rng.int(s1 - s0 - len + 1);
    blocks.push({ start, end: start + len });
  }
  for (const b of blocks) {
    for (let i = Math.max(0, b.start - cfg.guardFrames); i < Math.min(n, b.end + cfg.guardFrames); i++) if (role[i] === 0) role[i] = 2;
  }
  for (const b of blocks) role.fill(1, b.start, b.end);
  let nt = 0;
  let nv = 0;
  for (let i = 0; i < n; i++) {
    if (role[i] === 0) nt++;
    else if (role[i] === 1) nv++;
  }
  if (nt === 0 && n <= valTotal + 2 * cfg.guardFrames) {
    // Too few samples for any split with these guards: the cause is the data (few labelled frames), not the block count.
    throw new UserError(
      `only ${n} labelled samples: too few to hold out validation frames with ${cfg.guardFrames} guard frames on each side; the labels match too few frames (check the label file's rows with steerlab inspect) or lower split.guardFrames`,
    );
  }
  if (nt === 0) {
    throw new UserError(
      `${n} samples leave no training frames after ${blocks.length} validation blocks of ${valTotal} frames and ${cfg.guardFrames} guard frames each side; use fewer blocks, fewer guard frames or a smaller validation fraction`,
    );
  }
  const train = new Int32Array(nt);
  const val = new Int32Array(nv);
  nt = 0;
  nv = 0;
  for (let i = 0; i < n; i++) {
    if (role[i] === 0) train[nt++] = i;
    else if (role[i] === 1) val[nv++] = i;
  }
  return { train, val, blocks };
}
