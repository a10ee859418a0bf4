/**
 * Damaged checkpoints: a changed byte, a NaN written into the weights, a
 * truncated JSON, a missing binary. The damaged file is named; the previous
 * checkpoint is used when there is one; nothing resumes silently from bad
 * numbers. Temporary files of interrupted writes go on the next open.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { STALE_MS } from '../../src/atomic-temps.ts';
import { readCheckpoint, writeCheckpoint, type CheckpointMeta } from '../../src/train/checkpoint.ts';
import { tempDir } from '../video/fixtures.ts';

const meta = (epoch: number) => ({ epoch, step: 10 * (epoch + 1), rng: { seed: 1, nextEpoch: epoch + 1, nextStep: 10 * (epoch + 1) }, state: { iterations: epoch } });
const groups = (v: number) => ({ weights: [new Float32Array([v, v + 1, v + 2]), new Float32Array([v])], slots: [new Float32Array(2).fill(v)] });

async function twoEpochs(): Promise<{ run: string; ck: string; latest: CheckpointMeta }> {
  const run = tempDir('steerlab-ckpt-');
  await writeCheckpoint(run, meta(0), groups(1));
  await writeCheckpoint(run, meta(1), groups(2));
  const ck = join(run, 'checkpoints');
  return { run, ck, latest: JSON.parse(readFileSync(join(ck, 'checkpoint.json'), 'utf8')) as CheckpointMeta };
}

/** A pid that no process has: a child that already exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

describe('checkpoint faults', () => {
  it('reads back the latest checkpoint intact, with a checksum, and keeps the previous one', async () => {
    const { run, ck, latest } = await twoEpochs();
    expect(latest.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(readdirSync(ck).filter((f) => f.endsWith('.bin'))).toHaveLength(2);
    const got = await readCheckpoint(run);
    expect(got!.meta.epoch).toBe(1);
    expect(got!.fellBack).toBeUndefined();
    expect(Array.from(got!.groups.weights[0])).toEqual([2, 3, 4]);
  });

  it('a NaN written into the latest weights: falls back to the previous checkpoint and says which file is damaged', async () => {
    const { run, ck, latest } = await twoEpochs();
    const bin = join(ck, latest.bin);
    const b = readFileSync(bin);
    b.writeFloatLE(NaN, 0);
    writeFileSync(bin, b);
    const got = await readCheckpoint(run);
    expect(got!.meta.epoch).toBe(0);
    expect(Array.from(got!.groups.weights[0])).toEqual([1, 2, 3]);
    expect(got!.fellBack).toBe(
      `checkpoint damaged: ${bin} does not match its checksum (changed or cut short after it was written); resuming from the previous checkpoint (after epoch 1)`,
    );
  });

  it('a truncated checkpoint.json falls back; with no previous checkpoint the damage is a UserError naming the file', async () => {
    const { run, ck } = await twoEpochs();
    truncateSync(join(ck, 'checkpoint.json'), 20);
    expect((await readCheckpoint(run))!.fellBack).toBe(`checkpoint damaged: ${join(ck, 'checkpoint.json')} is not complete JSON; resuming from the previous checkpoint (after epoch 1)`);

    const solo = tempDir('steerlab-ckpt-');
    await writeCheckpoint(solo, meta(0), groups(1));
    const m = JSON.parse(readFileSync(join(solo, 'checkpoints', 'checkpoint.json'), 'utf8')) as CheckpointMeta;
    const bin = join(solo, 'checkpoints', m.bin);
    truncateSync(bin, 8);
    const err = await readCheckpoint(solo).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toBe(
      `checkpoint damaged: ${bin} does not match its checksum (changed or cut short after it was written), and there is no earlier checkpoint; start the run again without --resume`,
    );
  });

  it('a checkpoint without a checksum (older format) holding NaN weights is refused, not resumed', async () => {
    const solo = tempDir('steerlab-ckpt-');
    await writeCheckpoint(solo, meta(0), { weights: [new Float32Array([1, NaN])] });
    const jsonPath = join(solo, 'checkpoints', 'checkpoint.json');
    const m = JSON.parse(readFileSync(jsonPath, 'utf8')) as CheckpointMeta;
    delete m.sha256;
    writeFileSync(jsonPath, JSON.stringify(m));
    await expect(readCheckpoint(solo)).rejects.toThrow(
      `checkpoint damaged: ${join(solo, 'checkpoints', m.bin)} holds weights that are not finite numbers, and there is no earlier checkpoint; start the run again without --resume`,
    );
  });

  it('removes temporary files of interrupted writes by dead processes on the next open, and keeps live ones', async () => {
    const { run, ck } = await twoEpochs();
    const dead = `checkpoint.json.tmp-${deadPid()}-1733400000000`;
    const live = `checkpoint.json.tmp-${process.ppid}-1733400000001`;
    writeFileSync(join(ck, dead), '{"half":');
    writeFileSync(join(ck, live), '{"half":');
    // Leftovers are those of a dead writer untouched for STALE_MS (a fresh one may be a live writer on another host).
    const old = (Date.now() - STALE_MS - 60_000) / 1000;
    for (const f of [dead, live]) utimesSync(join(ck, f), old, old);
    await readCheckpoint(run);
    expect(existsSync(join(ck, dead))).toBe(false);
    expect(existsSync(join(ck, live))).toBe(true);
  });
});
