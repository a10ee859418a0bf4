/**
 * The one way tests run the CLI: `node bin/steerlab.mjs <args>` in a child
 * process, as a user would (its own tfjs backend, exit code and streams).
 *
 * `runCli` is asynchronous, so vitest's test timeout still works while the
 * child runs; `runCliSync` is for tests written as straight-line sequences of
 * commands. Both take the same options and give the same result. `spawnCli`
 * starts a server the test talks to and stops itself.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/steerlab.mjs', import.meta.url));

/** Output larger than this (16 MiB) kills the child: no CLI command should print that much. */
const MAX_BUFFER_BYTES = 16 << 20;

/** What a CLI run left behind. */
export interface CliResult {
  /** Exit code; null when the child was killed by a signal (e.g. on timeoutMs). */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** How to run the CLI. */
export interface CliOptions {
  /** Working folder (default: this process's). */
  cwd?: string;
  /** Added to this process's environment; an undefined value removes the variable. */
  env?: Record<string, string | undefined>;
  /** Kill the child after this many milliseconds (default 110 000). */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 110_000;

function childOptions(o: CliOptions) {
  return {
    cwd: o.cwd, encoding: 'utf8' as const, env: { ...process.env, ...o.env },
    timeout: o.timeoutMs ?? DEFAULT_TIMEOUT_MS, maxBuffer: MAX_BUFFER_BYTES,
  };
}

/** Runs `steerlab <args>` and resolves when it exits (never rejects: a failed run is a non-zero `code`). */
export function runCli(args: string[], o: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], childOptions(o), (err, stdout, stderr) => {
      // execFile's error carries the exit code, or a null code when a signal ended the child.
      const code = err ? ((err as { code?: unknown }).code as number | null | undefined) : 0;
      resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
    });
  });
}

/** Runs `steerlab <args>` and blocks until it exits. */
export function runCliSync(args: string[], o: CliOptions = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], childOptions(o));
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts a long-running `steerlab <args>` (e.g. `serve`) with stdout and stderr piped; the caller ends it. */
export function spawnCli(args: string[], o: Omit<CliOptions, 'timeoutMs'> = {}): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { cwd: o.cwd, env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
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
