/**
 * A full disk names the file and the space, never `internal error: ENOSPC`.
 * The real ENOSPC cases write into a 256 KiB tmpfs (needs root to mount;
 * skipped elsewhere); the message itself is checked everywhere.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeStaleTemps, STALE_MS } from '../../src/atomic-temps.ts';
import { assertDiskRoom, explainWriteError, formatBytes } from '../../src/disk-space.ts';
import { UserError } from '../../src/errors.ts';
import { writeCheckpoint } from '../../src/train/checkpoint.ts';
import { FrameCacheWriter } from '../../src/video/cache.ts';
import { tempDir } from '../video/fixtures.ts';

const small = join(tempDir('steerlab-full-'), 'disk');
let mounted = false;
beforeAll(() => {
  mkdirSync(small);
  mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', small]).status === 0;
});
afterAll(() => {
  if (mounted) execFileSync('umount', [small]);
  rmdirSync(small);
});

const FULL = /^disk full: (\S+) needs ([\d.]+ (?:B|KiB|MiB|GiB)), ([\d.]+ (?:B|KiB|MiB|GiB)) free on that disk; free some space or use a workspace on another disk \(--workspace DIR\)$/;

describe('disk full', () => {
  it('turns ENOSPC into one line naming the path and the space; other errors pass through', () => {
    const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    const e = explainWriteError(enospc, join(tempDir(), 'run', 'config.json'), 3 * 1024 * 1024);
    expect(e).toBeInstanceOf(UserError);
    const m = FULL.exec((e as UserError).message);
    expect(m?.[1]).toMatch(/run\/config\.json$/);
    expect(m?.[2]).toBe('3.0 MiB');
    const other = Object.assign(new Error('EACCES'), { code: 'EACCES' });
    expect(explainWriteError(other, '/x', 1)).toBe(other);
    expect(() => assertDiskRoom(join(tempDir(), 'cache.slfc'), 2 ** 60)).toThrow(new RegExp(`needs ${formatBytes(2 ** 60)}, `));
  });

  it.skipIf(process.getuid?.() !== 0)('a checkpoint that does not fit: the path and the bytes it needed, and no temporary file left', async () => {
    if (!mounted) return;
    const err = await writeCheckpoint(small, { epoch: 0, step: 1, rng: { seed: 1, nextEpoch: 1, nextStep: 1 }, state: {} }, { weights: [new Float32Array(100_000)] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    const m = FULL.exec((err as UserError).message);
    expect(m?.[1]).toMatch(new RegExp(`^${small}/checkpoints/ckpt-epoch0000-\\d+\\.bin$`));
    expect(m?.[2]).toBe('390.6 KiB');
    expect(readdirSync(join(small, 'checkpoints'))).toEqual([]);
  });

  it.skipIf(process.getuid?.() !== 0)('a frame cache that fills the disk: the cache path and the space the expected frames need', async () => {
    if (!mounted) return;
    const path = join(small, 'cache', 'drive.mp4-64x64-0123456789abcdef.slfc');
    const w = await FrameCacheWriter.create(path, 64, 64);
    w.expectedFrames = 100;
    const err = await (async () => {
      for (let i = 0; i < 100; i++) await w.append(new Uint8Array(64 * 64 * 3), i / 30);
      await w.commit({ key: 'k', decoderVersion: 2, ffmpegVersion: 'x', video: {} as never, warnings: [] });
    })().catch((e: unknown) => e);
    await w.abort();
    expect(err).toBeInstanceOf(UserError);
    const m = FULL.exec((err as UserError).message);
    expect(m?.[1]).toBe(path);
    expect(m?.[2]).toBe(formatBytes(100 * (64 * 64 * 3 + 8)));
    expect(readdirSync(join(small, 'cache'))).toEqual([]);
  });
});

describe('temporary files of interrupted atomic writes', () => {
  it('are removed on the next open when their writer is dead and they are old; live writers, fresh ones and other files are kept', () => {
    const dir = tempDir('steerlab-temps-');
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    // A fresh temp of a pid dead here may belong to a live writer on another machine (a shared workspace): kept.
    const files = [`result.json.tmp-${dead}-k3j9x1`, `experiment.json.tmp-${process.ppid}-a1b2c3`, 'result.json', 'notes.tmp', `metrics.json.tmp-${dead}-fresh1`];
    for (const f of files) writeFileSync(join(dir, f), '{');
    const old = (Date.now() - STALE_MS - 60_000) / 1000;
    for (const f of files.slice(0, 4)) utimesSync(join(dir, f), old, old);
    expect(removeStaleTemps(dir)).toEqual([files[0]]);
    expect(files.map((f) => existsSync(join(dir, f)))).toEqual([false, true, true, true, true]);
    expect(removeStaleTemps(join(dir, 'missing'))).toEqual([]);
  });
});
