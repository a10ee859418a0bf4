/**
 * The Python child without torch: a missing interpreter names the fix, and an
 * abort kills the child (SIGTERM, then SIGKILL when it ignores SIGTERM).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CancelledError, UserError } from '../../src/errors.ts';
import { findPython, runPython, torchEnv, type PythonEvent } from '../../src/reference/python.ts';

const dir = mkdtempSync(join(tmpdir(), 'steerlab-python-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Any Python 3 will do here (no torch needed). */
const python = process.env.STEERLAB_PYTHON ?? 'python3';

function script(body: string): string {
  const path = join(dir, `s-${Math.random().toString(36).slice(2)}.py`);
  writeFileSync(path, body);
  return path;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('findPython', () => {
  it('an interpreter that cannot import torch is a UserError naming the fix', async () => {
    const err = await findPython(join(dir, 'no-such-python')).catch((e) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toMatch(/no-such-python cannot import torch .*apt-get install python3-torch.*STEERLAB_PYTHON/);
  });
});

describe('runPython', () => {
  // The script reports its pid in the 'ready' event's threads field, then waits to be killed.
  const waiting = (ignoreTerm: boolean) =>
    script(`import json, os, signal, sys, time
${ignoreTerm ? 'signal.signal(signal.SIGTERM, signal.SIG_IGN)' : ''}
print(json.dumps({'event': 'ready', 'torchVersion': 'none', 'threads': os.getpid()}), flush=True)
time.sleep(60)
`);

  for (const ignoreTerm of [false, true]) {
    it(`abort kills the child${ignoreTerm ? ' with SIGKILL when it ignores SIGTERM' : ''} and rejects with CancelledError`, async () => {
      const ac = new AbortController();
      let pid = 0;
      const t0 = performance.now();
      const p = runPython({
        python, script: waiting(ignoreTerm), jobPath: 'job.json', signal: ac.signal,
        onEvent: (e: PythonEvent) => {
          if (e.event === 'ready') {
            pid = e.threads;
            ac.abort();
          }
        },
      });
      await expect(p).rejects.toBeInstanceOf(CancelledError);
      expect(pid).toBeGreaterThan(0);
      expect(alive(pid)).toBe(false);
      // SIGKILL comes after the grace period (3 s); SIGTERM ends it at once.
      if (ignoreTerm) expect(performance.now() - t0).toBeGreaterThan(2500);
    });
  }

  it("a failing script's own error line (and the job) make the message", async () => {
    const s = script(`import sys
sys.stderr.write('reference.py: ValueError: frames.u8 holds 10 bytes, expected 12\\n')
sys.stderr.write('Traceback (most recent call last): ...\\n')
sys.exit(1)
`);
    await expect(runPython({ python, script: s, jobPath: '/x/train-job.json' })).rejects.toThrow(
      'the PyTorch reference failed (exit 1): reference.py: ValueError: frames.u8 holds 10 bytes, expected 12 [job /x/train-job.json]',
    );
  });
});

describe('the environment PyTorch runs in', () => {
  it('the child sees sleeping OpenMP threads and a glibc that keeps freed memory, unless the user set them', async () => {
    // The script writes what it sees to the path it gets as its job.
    const s = script([
      'import json, os, sys',
      "keys = ['OMP_WAIT_POLICY', 'MALLOC_MMAP_THRESHOLD_', 'MALLOC_TRIM_THRESHOLD_', 'PYTHONUNBUFFERED']",
      "open(sys.argv[1], 'w').write(json.dumps({k: os.environ.get(k) for k in keys}))",
    ].join('\n'));
    const out = join(dir, 'env.json');
    const before = process.env.OMP_WAIT_POLICY;
    process.env.OMP_WAIT_POLICY = 'ACTIVE';
    try {
      await runPython({ python, script: s, jobPath: out });
    } finally {
      if (before === undefined) delete process.env.OMP_WAIT_POLICY;
      else process.env.OMP_WAIT_POLICY = before;
    }
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({ OMP_WAIT_POLICY: 'ACTIVE', MALLOC_MMAP_THRESHOLD_: String(32 * 2 ** 20), MALLOC_TRIM_THRESHOLD_: String(2 ** 36), PYTHONUNBUFFERED: '1' });
    expect(torchEnv().MALLOC_TRIM_THRESHOLD_).toBe(String(2 ** 36));
  });
});
