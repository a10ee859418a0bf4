/**
 * One writer per run folder: `train --resume` (and anything else that
 * appends to a run) holds runDir/run.lock, a small JSON naming the owner's
 * pid and host. A second process refuses with one line instead of running
 * the same epochs again and duplicating the run's logs; a lock left by a
 * process that died (kill -9, power cut) is taken over.
 */
import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UserError } from './errors.ts';

/** The lock file's name inside a run folder. */
export const RUN_LOCK = 'run.lock';

interface LockOwner {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  since: string;
}

/** True when a process with this pid exists (EPERM: it exists but is not ours). */
export function pidAlive(pid: number): boolean {
  if (!(Number.isInteger(pid) && pid > 0)) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(path: string): LockOwner | null {
  try {
    const o = JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
    return Number.isInteger(o.pid) && typeof o.host === 'string' ? o : null;
  } catch {
    return null;
  }
}

/** A held lock; release() removes it (only if it is still ours). */
export interface RunLock {
  readonly path: string;
  release(): void;
}

/**
 * Takes runDir's lock or throws UserError naming the process that holds it.
 * The lock file appears complete or not at all (written aside, then
 * hard-linked into place, which fails when it exists). A lock whose owner
 * is gone on this host, or that cannot be read, is stale and taken over.
 * A lock held by another host is respected: its pid cannot be checked here.
 */
export function acquireRunLock(runDir: string, what = 'resumed'): RunLock {
  const path = join(runDir, RUN_LOCK);
  const me: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2, 8)}`;
  writeFileSync(tmp, JSON.stringify(me));
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        linkSync(tmp, path);
        return { path, release: () => releaseIfOurs(path, me) };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const owner = readOwner(path);
      if (owner && (owner.host !== me.host || pidAlive(owner.pid))) {
        throw new UserError(
          `run ${runDir} is already being ${what} by process ${owner.pid} on ${owner.host} (since ${owner.since}); wait for it to finish or stop it, then try again`,
        );
      }
      // Stale: its owner died without releasing it.
      rmSync(path, { force: true });
    }
    throw new UserError(`run ${runDir} was locked by another process at the same moment; try again`);
  } finally {
    rmSync(tmp, { force: true });
  }
}

function releaseIfOurs(path: string, me: LockOwner): void {
  const owner = readOwner(path);
  if (owner && owner.pid === me.pid && owner.host === me.host && owner.since === me.since) rmSync(path, { force: true });
}
