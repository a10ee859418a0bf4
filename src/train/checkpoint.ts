/**
 * Epoch checkpoints in runDir/checkpoints: one binary file of float32 arrays
 * (weights, batchnorm buffers, optimizer slots, best weights, best
 * validation predictions) and checkpoint.json describing it, with the
 * binary's SHA-256. The previous checkpoint is kept (checkpoint.prev.json
 * and its binary), so a damaged latest one (disk error, truncation, a byte
 * changed) falls back to it instead of ending the run or resuming from bad
 * numbers. Written atomically: the binary under a fresh name, the old JSON
 * renamed to .prev, then the new JSON by rename, so a crash at any moment
 * leaves a complete checkpoint readable.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { removeStaleTemps } from '../atomic-temps.ts';
import { explainWriteError } from '../disk-space.ts';
import { UserError } from '../errors.ts';

export const CHECKPOINT_DIR = 'checkpoints';
export const CHECKPOINT_FILE = 'checkpoint.json';
/** The checkpoint before the latest, the fallback when the latest is damaged. */
export const PREVIOUS_CHECKPOINT_FILE = 'checkpoint.prev.json';

/** Named groups of float32 arrays stored in the binary file. */
export type ArrayGroups = Record<string, Float32Array[]>;

export interface CheckpointMeta {
  version: 1;
  /** Last completed epoch (0-based). */
  epoch: number;
  /** Global steps done. */
  step: number;
  /** The batching/augmentation/dropout streams are derived from (seed, epoch, step): this is their whole state. */
  rng: { seed: number; nextEpoch: number; nextStep: number };
  bin: string;
  /** SHA-256 (hex) of the binary file; absent in checkpoints written before checksums. */
  sha256?: string;
  /** Array lengths per group, in order. */
  layout: Record<string, number[]>;
  /** Anything JSON the trainer needs back (optimizer iterations, best epoch, history ...). */
  state: Record<string, unknown>;
}

/** A checkpoint read back; `fellBack` says why the previous one was used (tell the user). */
export interface LoadedCheckpoint {
  meta: CheckpointMeta;
  groups: ArrayGroups;
  fellBack?: string;
}

async function atomicWrite(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw explainWriteError(e, path, typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength);
  }
}

function concatGroups(groups: ArrayGroups): { layout: Record<string, number[]>; bytes: Uint8Array } {
  const layout: Record<string, number[]> = {};
  let total = 0;
  for (const [k, arrs] of Object.entries(groups)) {
    layout[k] = arrs.map((a) => a.length);
    total += arrs.reduce((s, a) => s + a.length, 0);
  }
  const buf = new Float32Array(total);
  let off = 0;
  for (const arrs of Object.values(groups)) for (const a of arrs) {
    buf.set(a, off);
    off += a.length;
  }
  return { layout, bytes: new Uint8Array(buf.buffer) };
}

/** Writes a checkpoint; returns the path of checkpoint.json. */
export async function writeCheckpoint(runDir: string, meta: Omit<CheckpointMeta, 'bin' | 'layout' | 'version'>, groups: ArrayGroups): Promise<string> {
  const dir = join(runDir, CHECKPOINT_DIR);
  await mkdir(dir, { recursive: true });
  removeStaleTemps(dir);
  const { layout, bytes } = concatGroups(groups);
  const bin = `ckpt-epoch${String(meta.epoch).padStart(4, '0')}-${Date.now()}.bin`;
  await atomicWrite(join(dir, bin), bytes);
  const full: CheckpointMeta = { version: 1, ...meta, bin, sha256: createHash('sha256').update(bytes).digest('hex'), layout };
  const jsonPath = join(dir, CHECKPOINT_FILE);
  // The latest becomes the fallback; a crash right here leaves only it, which is complete.
  await rename(jsonPath, join(dir, PREVIOUS_CHECKPOINT_FILE)).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
  });
  await atomicWrite(jsonPath, JSON.stringify(full));
  // Binaries neither JSON points at are garbage.
  const keep = new Set([bin, await binOf(join(dir, PREVIOUS_CHECKPOINT_FILE))]);
  for (const f of await readdir(dir)) if (f.endsWith('.bin') && !keep.has(f)) await rm(join(dir, f), { force: true });
  return jsonPath;
}

async function binOf(jsonPath: string): Promise<string | null> {
  try {
    return (JSON.parse(await readFile(jsonPath, 'utf8')) as CheckpointMeta).bin ?? null;
  } catch {
    return null;
  }
}

/** Why a checkpoint cannot be trusted, as words. */
class Damaged extends Error {}

/** Reads one checkpoint (JSON + binary); null when its JSON does not exist; throws Damaged when it cannot be trusted. */
async function readOne(dir: string, file: string): Promise<{ meta: CheckpointMeta; groups: ArrayGroups } | null> {
  let text: string;
  try {
    text = await readFile(join(dir, file), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Damaged(`${join(dir, file)} cannot be read (${(e as Error).message})`);
  }
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(text) as CheckpointMeta;
  } catch {
    throw new Damaged(`${join(dir, file)} is not complete JSON`);
  }
  if (meta.version !== 1) throw new Damaged(`${join(dir, file)} has unknown version ${meta.version}`);
  const binPath = join(dir, meta.bin);
  let raw: Buffer;
  try {
    raw = await readFile(binPath);
  } catch {
    throw new Damaged(`${binPath} is missing`);
  }
  if (meta.sha256 && createHash('sha256').update(raw).digest('hex') !== meta.sha256) {
    throw new Damaged(`${binPath} does not match its checksum (changed or cut short after it was written)`);
  }
  const all = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const groups: ArrayGroups = {};
  let off = 0;
  for (const [k, lens] of Object.entries(meta.layout)) {
    groups[k] = lens.map((n) => {
      const a = all.slice(off, off + n);
      off += n;
      return a;
    });
  }
  if (off !== all.length) throw new Damaged(`${binPath} holds ${all.length} values, its layout ${off}`);
  // Weights that are not numbers would train on silently as NaN losses.
  if (groups.weights?.some((a) => a.some((x) => !Number.isFinite(x)))) throw new Damaged(`${binPath} holds weights that are not finite numbers`);
  return { meta, groups };
}

/**
 * Reads the last checkpoint, or null when there is none. A damaged latest
 * checkpoint falls back to the previous one (saying why in `fellBack`);
 * with no usable previous one, throws UserError naming the damaged file.
 */
export async function readCheckpoint(runDir: string): Promise<LoadedCheckpoint | null> {
  const dir = join(runDir, CHECKPOINT_DIR);
  removeStaleTemps(dir);
  let why: string | null = null;
  try {
    const latest = await readOne(dir, CHECKPOINT_FILE);
    if (latest) return latest;
  } catch (e) {
    if (!(e instanceof Damaged)) throw e;
    why = e.message;
  }
  let prev: { meta: CheckpointMeta; groups: ArrayGroups } | null = null;
  try {
    prev = await readOne(dir, PREVIOUS_CHECKPOINT_FILE);
  } catch (e) {
    if (!(e instanceof Damaged)) throw e;
    if (why) throw new UserError(`checkpoint damaged: ${why}, and the previous one too (${e.message}); start the run again without --resume`);
  }
  if (why && !prev) throw new UserError(`checkpoint damaged: ${why}, and there is no earlier checkpoint; start the run again without --resume`);
  if (!prev) return null;
  // No latest but a previous: a crash between renaming the latest aside and writing the new one.
  const reason = why ? `checkpoint damaged: ${why}` : `${join(dir, CHECKPOINT_FILE)} was never completed (the run stopped while writing it)`;
  return { ...prev, fellBack: `${reason}; resuming from the previous checkpoint (after epoch ${prev.meta.epoch + 1})` };
}
