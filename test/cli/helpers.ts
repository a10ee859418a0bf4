/** Shared by the CLI tests: run bin/steerlab.mjs as a user would, in a given folder. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

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

/**
 * The one JSON object a `--json` run printed: checks the run exited 0 without
 * an internal error and that stdout is exactly one line, then parses it.
 */
// `any`: each caller asserts the fields it reads.
export function jsonOutput(r: CliResult): Record<string, any> {
  expect(r.stderr).not.toMatch(/internal error/);
  expect(r.code).toBe(0);
  const lines = r.stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]);
}
