/**
 * The Python child: which interpreter has PyTorch, and running
 * reference.py on a job as a managed child (argument array, never a shell;
 * progress as JSON lines on stdout; SIGTERM then SIGKILL on abort; the
 * script's own one-line error on failure).
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { CancelledError, UserError } from '../errors.ts';

/** Seconds a child gets to exit after SIGTERM before SIGKILL. */
const KILL_GRACE_MS = 3000;
/** `import torch` takes 1-3 s on a cold disk; a hung interpreter must not hang the lab. */
const PROBE_TIMEOUT_MS = 120_000;
/** Bytes of stderr kept for the error message (a traceback's tail is what matters). */
const STDERR_KEEP = 8192;

/** The progress events reference.py prints, one JSON object per stdout line. */
export const PythonEvent = z.discriminatedUnion('event', [
  z.object({ event: z.literal('ready'), torchVersion: z.string(), threads: z.number().int() }),
  z.object({ event: z.literal('run-start'), runId: z.string(), run: z.number().int(), runs: z.number().int(), epochs: z.number().int(), stepsPerEpoch: z.number().int(), totalSteps: z.number().int() }),
  z.object({ event: z.literal('step'), runId: z.string(), run: z.number().int(), epoch: z.number().int(), step: z.number().int(), totalSteps: z.number().int(), loss: z.number().nullable() }),
  z.object({
    event: z.literal('epoch'), runId: z.string(), run: z.number().int(), epoch: z.number().int(), epochs: z.number().int(),
    trainLoss: z.number().nullable(), valLoss: z.number().nullable(), valMaeDeg: z.number().nullable(), valRmseDeg: z.number().nullable(), elapsedS: z.number(),
  }),
  z.object({ event: z.literal('run-done'), runId: z.string(), run: z.number().int(), wallTimeS: z.number(), samplesPerS: z.number() }),
  z.object({ event: z.literal('probe-done'), outPath: z.string() }),
  z.object({ event: z.literal('forward-done'), run: z.number().int() }),
]);
export type PythonEvent = z.infer<typeof PythonEvent>;

/** Interpreters already found to import torch in this process (each probe costs seconds: torch's import). */
const hasTorch = new Set<string>();

/** Does `python -c "import torch"` succeed? Resolves with the reason when it does not. */
function canImportTorch(python: string): Promise<{ ok: boolean; why: string }> {
  if (hasTorch.has(python)) return Promise.resolve({ ok: true, why: '' });
  return new Promise((resolve) => {
    execFile(python, ['-c', 'import torch, numpy'], { timeout: PROBE_TIMEOUT_MS }, (err, _out, stderr) => {
      if (!err) {
        hasTorch.add(python);
        return resolve({ ok: true, why: '' });
      }
      const last = String(stderr).trim().split('\n').pop() || (err as Error).message;
      resolve({ ok: false, why: last });
    });
  });
}

const INSTALL_HINT = 'install Debian\'s PyTorch (`sudo apt-get install python3-torch`) or point STEERLAB_PYTHON (or --python) at a Python that has torch and numpy';

/**
 * The interpreter to run the reference with: `explicit` (--python), else
 * STEERLAB_PYTHON, else the first of `python3` on PATH and /usr/bin/python3
 * that can import torch. Throws UserError naming the fix.
 */
export async function findPython(explicit?: string): Promise<string> {
  const named = explicit ?? process.env.STEERLAB_PYTHON;
  if (named) {
    const r = await canImportTorch(named);
    if (!r.ok) throw new UserError(`${named} cannot import torch (${r.why}); ${INSTALL_HINT}`);
    return named;
  }
  const tried: string[] = [];
  for (const candidate of ['python3', '/usr/bin/python3']) {
    if (candidate.startsWith('/') && !existsSync(candidate)) continue;
    const r = await canImportTorch(candidate);
    if (r.ok) return candidate;
    tried.push(`${candidate}: ${r.why}`);
  }
  throw new UserError(`no Python with PyTorch found (${tried.join('; ') || 'no python3 found'}); ${INSTALL_HINT}`);
}

/**
 * The environment the lab runs PyTorch in (the reference, and the benchmarks' peers); variables the user has set win.
 * - OMP_WAIT_POLICY=PASSIVE: OpenMP threads sleep instead of spinning between ops; on a 2-core machine shared
 *   with other work, spinning made a PilotNet step 12x slower (96 vs 1200 samples/s measured at 33x100).
 * - MALLOC_MMAP_THRESHOLD_ (32 MiB, glibc's largest) and MALLOC_TRIM_THRESHOLD_: glibc keeps freed memory for
 *   the next step instead of returning it to the system. With its defaults a training step's tensors of
 *   more than 128 kB are fresh mappings each time, and first touching a page costs 12 us on this project's VM
 *   (about 0.25 us on a desktop): PilotNet's PyTorch step took 98-105 ms instead of 33 ms there (measured,
 *   AMD EPYC family 26 model 2). A desktop user's PyTorch does not pay that; with these settings, neither
 *   does ours, so its speed is what a user's would be (jemalloc or tcmalloc, the usual advice for PyTorch on
 *   CPUs, do the same).
 * - PYTHONUNBUFFERED: progress lines arrive as they are printed, not at exit.
 */
export function torchEnv(): NodeJS.ProcessEnv {
  return { OMP_WAIT_POLICY: 'PASSIVE', MALLOC_MMAP_THRESHOLD_: String(32 << 20), MALLOC_TRIM_THRESHOLD_: String(2 ** 36), ...process.env, PYTHONUNBUFFERED: '1' };
}

/**
 * Runs `python script jobPath`, passing each progress event to onEvent.
 * Resolves when the script exits 0; rejects with its one-line error (and the
 * job path) otherwise, or with CancelledError after killing it on abort.
 */
export function runPython(o: { python: string; script: string; jobPath: string; signal?: AbortSignal; onEvent?(e: PythonEvent): void }): Promise<void> {
  return new Promise((resolve, reject) => {
    if (o.signal?.aborted) return reject(new CancelledError());
    const child = spawn(o.python, [o.script, o.jobPath], { stdio: ['ignore', 'pipe', 'pipe'], env: torchEnv() });
    let stderr = '';
    let pending = '';
    let killTimer: NodeJS.Timeout | null = null;
    const onAbort = () => {
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl).trim();
        pending = pending.slice(nl + 1);
        if (!line) continue;
        let parsed: unknown;
        try {
          parsed = JSON.parse(line);
        } catch {
          continue; // a stray print (e.g. a library warning on stdout) is not progress
        }
        const ev = PythonEvent.safeParse(parsed);
        if (ev.success) o.onEvent?.(ev.data);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_KEEP);
    });
    child.on('error', (err) => {
      o.signal?.removeEventListener('abort', onAbort);
      reject(new UserError(`could not start ${o.python} (${err.message}); ${INSTALL_HINT}`));
    });
    child.on('close', (code, sig) => {
      o.signal?.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      if (o.signal?.aborted) return reject(new CancelledError());
      if (code === 0) return resolve();
      const lines = stderr.trim().split('\n');
      const own = lines.find((l) => l.startsWith('reference.py:')) ?? lines[lines.length - 1] ?? '';
      reject(new Error(`the PyTorch reference failed (${sig ? `signal ${sig}` : `exit ${code}`}): ${own.trim()} [job ${o.jobPath}]`));
    });
  });
}

/** reference.py's results file of a training job. */
export const TrainResults = z.object({
  torchVersion: z.string(),
  threads: z.number().int(),
  runs: z.array(z.object({
    runId: z.string(),
    /** Last epoch's validation predictions in degrees (null: not finite). */
    predDeg: z.array(z.number().nullable()),
    trainLossPerEpoch: z.array(z.number().nullable()),
    valMaeDeg: z.number().nullable(),
    valRmseDeg: z.number().nullable(),
    valN: z.number().int(),
    steps: z.number().int(),
    wallTimeS: z.number(),
    samplesPerS: z.number(),
  })),
});
export type TrainResults = z.infer<typeof TrainResults>;

/** reference.py's results file of a probe job (see checks.ts). */
export const ProbeResults = z.object({
  torchVersion: z.string(),
  probes: z.array(z.object({
    outPath: z.string(), flip: z.array(z.boolean()), shift: z.array(z.number().int()),
    brightness: z.array(z.number()), contrast: z.array(z.number()), anglesDeg: z.array(z.number()),
  })),
  forward: z.array(z.object({ run: z.number().int(), predDeg: z.array(z.number().nullable()) })),
});
export type ProbeResults = z.infer<typeof ProbeResults>;
