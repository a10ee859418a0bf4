/** Two resumes of one run: the second refuses with one line; a lock left by a dead process is taken over. */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { acquireRunLock, RUN_LOCK } from '../../src/run-lock.ts';
import { tempDir } from '../video/fixtures.ts';

describe('run lock', () => {
  it('a second resume of a locked run refuses with one line naming the owner; released, the run can be resumed again', () => {
    const run = tempDir('steerlab-lock-');
    const first = acquireRunLock(run);
    const owner = JSON.parse(readFileSync(join(run, RUN_LOCK), 'utf8')) as { pid: number; since: string };
    expect(owner.pid).toBe(process.pid);
    let err: unknown;
    try {
      acquireRunLock(run);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).exitCode).not.toBe(0);
    expect((err as UserError).message).toBe(
      `run ${run} is already being resumed by process ${process.pid} on ${hostname()} (since ${owner.since}); wait for it to finish or stop it, then try again`,
    );
    first.release();
    expect(existsSync(join(run, RUN_LOCK))).toBe(false);
    acquireRunLock(run).release();
  });

  it('takes over a stale lock whose process is dead', () => {
    const run = tempDir('steerlab-lock-');
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    writeFileSync(join(run, RUN_LOCK), JSON.stringify({ pid: dead, host: hostname(), since: '2026-01-01T00:00:00.000Z' }));
    const lock = acquireRunLock(run);
    expect((JSON.parse(readFileSync(join(run, RUN_LOCK), 'utf8')) as { pid: number }).pid).toBe(process.pid);
    lock.release();
  });
});
