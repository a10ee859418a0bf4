/**
 * Epoch checkpoints in runDir/checkpoints: one binary file of float32 arrays
 * (weights, batchnorm buffers, optimizer slots, best weights, best
 * validation predictions) and checkpoint.json describing it. Written
 * atomically: the binary under a fresh name, then the JSON by rename, so a
 * crash at any moment leaves the previous complete checkpoint readable.
 */
import { mkdir, readFile, rename, rm, writeFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export const CHECKPOINT_DIR = 'checkpoints';
export const CHECKPOINT_FILE = 'checkpoint.json';

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
  /** Array lengths per group, in order. */
  layout: Record<string, number[]>;
  /** Anything JSON the trainer needs back (optimizer iterations, best epoch, history ...). */
  state: Record<string, unknown>;
}

async function atomicWrite(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

/** Writes a checkpoint; returns the path of checkpoint.json. */
export async function writeCheckpoint(runDir: string, meta: Omit<CheckpointMeta, 'bin' | 'layout' | 'version'>, groups: ArrayGroups): Promise<string> {
  const dir = join(runDir, CHECKPOINT_DIR);
  await mkdir(dir, { recursive: true });
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
  const bin = `ckpt-epoch${String(meta.epoch).padStart(4, '0')}-${Date.now()}.bin`;
  await atomicWrite(join(dir, bin), new Uint8Array(buf.buffer));
  const full: CheckpointMeta = { version: 1, ...meta, bin, layout };
  const jsonPath = join(dir, CHECKPOINT_FILE);
  await atomicWrite(jsonPath, JSON.stringify(full));
  // Older binaries are garbage once the JSON points at the new one.
  for (const f of await readdir(dir)) if (f.endsWith('.bin') && f !== bin) await rm(join(dir, f), { force: true });
  return jsonPath;
}

/** Reads the last checkpoint, or null when there is none. */
export async function readCheckpoint(runDir: string): Promise<{ meta: CheckpointMeta; groups: ArrayGroups } | null> {
  const dir = join(runDir, CHECKPOINT_DIR);
  let text: string;
  try {
    text = await readFile(join(dir, CHECKPOINT_FILE), 'utf8');
  } catch {
    return null;
  }
  const meta = JSON.parse(text) as CheckpointMeta;
  if (meta.version !== 1) throw new Error(`checkpoint ${join(dir, CHECKPOINT_FILE)} has unknown version ${meta.version}`);
  const raw = await readFile(join(dir, meta.bin));
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
  if (off !== all.length) throw new Error(`checkpoint ${meta.bin} holds ${all.length} values, its layout ${off}`);
  return { meta, groups };
}
