/**
 * CPU time of the calling thread. Node 20 has no process.threadCpuUsage, and
 * process.cpuUsage() sums every thread of the process (main and gradient
 * workers), so the per-thread split is read from Linux's /proc/thread-self.
 * Resolution is one clock tick (10 ms): sum it over many steps.
 */
import { readFileSync } from 'node:fs';

/** USER_HZ: Linux reports utime/stime in 1/100 s on every mainstream architecture. */
const TICKS_PER_S = 100;

/** CPU milliseconds (user + system) this thread has used, or null where /proc/thread-self is missing. */
export function threadCpuMs(): number | null {
  try {
    const s = readFileSync('/proc/thread-self/stat', 'utf8');
    // The command name (field 2) may contain spaces: split after its closing parenthesis.
    // Fields from there: state(3) ... utime(14) stime(15), i.e. indices 11 and 12.
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(f[11]) + Number(f[12]);
    return Number.isFinite(ticks) ? (ticks * 1000) / TICKS_PER_S : null;
  } catch {
    return null;
  }
}
