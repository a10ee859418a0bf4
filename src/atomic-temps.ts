/**
 * Leftovers of atomic writes. Every whole-file write in the lab goes to
 * `<target>.tmp-<pid>-<suffix>` and is renamed over the target; a process
 * killed between the two leaves the temporary file behind forever. The
 * next open of the folder removes those whose writer is no longer alive.
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pidAlive } from './run-lock.ts';

/** `<target>.tmp-<pid>-<suffix>`, as writeFileAtomic (experiments/store.ts) and train/checkpoint.ts name them. */
const TEMP = /\.tmp-(\d+)-[0-9a-z]+$/;

/** A temporary file this old (10 minutes) with a dead writer is a leftover; a live write renames within seconds. */
export const STALE_MS = 10 * 60 * 1000;

/**
 * Removes the temporary files of interrupted atomic writes in `dir` (not
 * recursive) whose writing process is gone; returns the names removed. A
 * missing folder is nothing to clean.
 */
export function removeStaleTemps(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const f of names) {
    const m = TEMP.exec(f);
    if (!m || Number(m[1]) === process.pid || pidAlive(Number(m[1]))) continue;
    // A shared workspace (queue workers on other machines) has writers whose pids mean nothing here:
    // only a temporary file untouched for STALE_MS is a leftover.
    let age = 0;
    try {
      age = Date.now() - statSync(join(dir, f)).mtimeMs;
    } catch {
      continue;
    }
    if (age < STALE_MS) continue;
    rmSync(join(dir, f), { force: true });
    removed.push(f);
  }
  return removed;
}
