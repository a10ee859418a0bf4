/** Shared by the CLI tests: run bin/steerlab.mjs as a user would, in a given folder. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `steerlab <args>` in `cwd` and waits for it. `env` is added to this
 * process's environment (e.g. STEERLAB_ENGINE: 'wasm').
 */
export function runSteerlab(cwd: string, args: string[], o: { env?: Record<string, string>; timeoutMs?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'steerlab.mjs'), ...args], {
    cwd, encoding: 'utf8', env: { ...process.env, ...o.env }, timeout: o.timeoutMs ?? 110_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
