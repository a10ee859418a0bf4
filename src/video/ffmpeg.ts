/**
 * ffmpeg/ffprobe resolution and the managed child process: the only code in
 * the lab that spawns either tool.
 *
 * Resolution order (first that exists wins):
 *   ffmpeg:  STEERLAB_FFMPEG, ffmpeg-static, @ffmpeg-installer/ffmpeg, `ffmpeg` on PATH
 *   ffprobe: STEERLAB_FFPROBE, ffprobe-static, @ffprobe-installer/ffprobe, `ffprobe` on PATH
 * The npm packages are resolved at run time because ffmpeg-static downloads
 * its binary at install and is absent on offline machines.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { UserError } from '../errors.ts';

const require = createRequire(import.meta.url);

export type Tool = 'ffmpeg' | 'ffprobe';
export type ToolSource = 'env' | 'ffmpeg-static' | 'ffprobe-static' | '@ffmpeg-installer/ffmpeg' | '@ffprobe-installer/ffprobe' | 'PATH';

export interface ToolLocation {
  path: string;
  source: ToolSource;
}

export interface ResolvedTool extends ToolLocation {
  /** Version as printed by `-version`, e.g. "5.1.9-0+deb12u1" or "N-47683-g0e8eb07980-static". */
  version: string;
}

const SPEC: Record<Tool, { env: string; staticPkg: string; installerPkg: string }> = {
  ffmpeg: { env: 'STEERLAB_FFMPEG', staticPkg: 'ffmpeg-static', installerPkg: '@ffmpeg-installer/ffmpeg' },
  ffprobe: { env: 'STEERLAB_FFPROBE', staticPkg: 'ffprobe-static', installerPkg: '@ffprobe-installer/ffprobe' },
};

/** Electron packs node_modules into app.asar, but binaries must run from app.asar.unpacked. */
export function unpackAsar(p: string): string {
  return p.replace(/([\\/])app\.asar([\\/])/, '$1app.asar.unpacked$2');
}

function isExecutable(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, process.platform === 'win32' ? constants.F_OK : constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * What each package's require() gave, per process. A package that is not
 * installed (ffmpeg-static, here) made every lookup search all node_modules
 * folders and build a MODULE_NOT_FOUND error (1.2 ms measured), and a decode
 * looked ffmpeg up twice and its probe ffprobe once: ~4 ms, 1-3% of the node
 * CPU of a 1,000-frame decode. The executable check still runs every time.
 */
const packageExports = new Map<string, string | null>();

/** The path an npm package exports for its binary, or null when the package is absent or broken. */
function fromPackage(pkg: string): string | null {
  let raw = packageExports.get(pkg);
  if (raw === undefined) {
    raw = packageExport(pkg);
    packageExports.set(pkg, raw);
  }
  if (raw === null) return null;
  const p = unpackAsar(raw);
  return isExecutable(p) ? p : null;
}

function packageExport(pkg: string): string | null {
  try {
    const mod = require(pkg) as unknown;
    // ffmpeg-static exports a string; ffprobe-static and the installers export { path }.
    const raw = typeof mod === 'string' ? mod : (mod as { path?: unknown } | null)?.path;
    return typeof raw === 'string' && raw ? raw : null;
  } catch {
    return null;
  }
}

function fromPath(name: string): string | null {
  const exe = process.platform === 'win32' ? `${name}.exe` : name;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, exe);
    if (isExecutable(p)) return p;
  }
  return null;
}

function missingMessage(tool: Tool): string {
  const s = SPEC[tool];
  return (
    `${tool} was not found (tried ${s.env}, ${s.staticPkg}, ${s.installerPkg}, PATH); ` +
    `install it with \`npm install ${s.installerPkg}\` or your system's package manager (e.g. \`apt-get install ffmpeg\`), ` +
    `or set ${s.env}=/path/to/${tool}`
  );
}

/**
 * Where the tool is, without running it (cheap: a few stat calls). Throws
 * UserError when STEERLAB_FFMPEG/STEERLAB_FFPROBE names a missing file, or
 * when nothing is found.
 */
export function locateTool(tool: Tool): ToolLocation {
  const s = SPEC[tool];
  const env = process.env[s.env];
  if (env) {
    const p = unpackAsar(env);
    if (!isExecutable(p)) {
      throw new UserError(`${s.env} points to "${env}", which is not an executable file; fix the path or unset ${s.env} to use the bundled ${tool}`);
    }
    return { path: p, source: 'env' };
  }
  const st = fromPackage(s.staticPkg);
  if (st) return { path: st, source: s.staticPkg as ToolSource };
  const inst = fromPackage(s.installerPkg);
  if (inst) return { path: inst, source: s.installerPkg as ToolSource };
  const onPath = fromPath(tool);
  if (onPath) return { path: onPath, source: 'PATH' };
  throw new UserError(missingMessage(tool));
}

/** Parses the first line of `ffmpeg -version` ("ffmpeg version 5.1.9-0+deb12u1 Copyright ..."). */
export function parseVersion(output: string): string | null {
  const m = /^\s*ff(?:mpeg|probe) version (\S+)/m.exec(output);
  return m ? m[1] : null;
}

const versionCache = new Map<string, string>();

function resolveTool(tool: Tool): ResolvedTool {
  const loc = locateTool(tool);
  const key = `${loc.path}\0${statSync(loc.path).mtimeMs}`;
  let version = versionCache.get(key);
  if (!version) {
    // Running it once proves the binary works on this machine (right arch, libraries present).
    const r = spawnSync(loc.path, ['-hide_banner', '-version'], { encoding: 'utf8', timeout: 15_000, windowsHide: true });
    const parsed = r.error ? null : parseVersion(r.stdout ?? '');
    if (!parsed) {
      const why = r.error ? r.error.message : `exit ${r.status}: ${(r.stderr ?? '').trim().split('\n').pop() ?? ''}`;
      throw new UserError(`${tool} at "${loc.path}" (from ${loc.source}) does not run (${why}); ${loc.source === 'env' ? `fix ${SPEC[tool].env}` : missingMessage(tool).split('; ')[1]}`);
    }
    version = parsed;
    versionCache.set(key, version);
  }
  return { ...loc, version };
}

/** Resolves ffmpeg and reads its version (runs `ffmpeg -version` once per binary and process). */
export function resolveFfmpeg(): ResolvedTool {
  return resolveTool('ffmpeg');
}

/** Resolves ffprobe and reads its version. */
export function resolveFfprobe(): ResolvedTool {
  return resolveTool('ffprobe');
}

// ---------------------------------------------------------------------------
// Managed child

export type ExitResult =
  | { status: 'ok'; code: 0; stderrTail: string }
  | { status: 'failed'; code: number | null; signal: NodeJS.Signals | null; stderrTail: string }
  | { status: 'cancelled'; signal: NodeJS.Signals | null; stderrTail: string }
  | { status: 'spawn-error'; message: string; stderrTail: string };

export interface ManagedChild {
  readonly pid: number | undefined;
  readonly stdout: Readable;
  readonly stdin: Writable;
  /** Resolves once the process has exited (never rejects). */
  readonly done: Promise<ExitResult>;
  /** SIGTERM now, SIGKILL after the grace period if it is still running. */
  kill(): void;
}

export interface SpawnOptions {
  signal?: AbortSignal;
  /** Milliseconds between SIGTERM and SIGKILL. */
  graceMs?: number;
  /** Called with each stderr line (e.g. showinfo timestamps); return true to keep it out of the error tail. */
  onStderrLine?(line: string): boolean | void;
  /** How many trailing stderr characters to keep for error messages. */
  stderrTailChars?: number;
  /**
   * Keep glibc's iconv modules out of the child (see isolatedGconvEnv). Default: on for the npm packages'
   * binaries on Linux (static builds), off for STEERLAB_FFMPEG/STEERLAB_FFPROBE and PATH.
   */
  isolateGconv?: boolean;
}

/**
 * The npm packages' Linux binaries are static builds (johnvansickle.com, glibc 2.28 linked in). Their
 * MPEG-TS demuxer converts the service names in every .ts file's SDT with iconv_open("UTF-8", "ISO6937"),
 * and static glibc loads that converter from the host's gconv-modules.cache: the host's ISO_6937.so pulls
 * in the host's libc.so.6 and the process dies from SIGSEGV (ffprobe N-66595 on Debian 12, glibc 2.36,
 * on every .ts). GCONV_PATH set (even empty) makes glibc skip the cache and read only the plain
 * gconv-modules file, which on glibc >= 2.34 hosts no longer lists ISO-6937 (it moved to
 * gconv-modules.d/, which 2.28 does not read): iconv_open fails cleanly and FFmpeg keeps the name's bytes.
 * Built-in conversions (UTF-8, ASCII) are unaffected, and the lab reads no service names.
 */
export function isolatedGconvEnv(): NodeJS.ProcessEnv {
  return { ...process.env, GCONV_PATH: '' };
}

/** Whether spawnTool isolates gconv for a binary by default: the npm packages' static builds on Linux. */
export function isStaticPackageBuild(loc: ToolLocation): boolean {
  return process.platform === 'linux' && loc.source !== 'env' && loc.source !== 'PATH';
}

const live = new Set<ChildProcessWithoutNullStreams>();
let spawned = 0;
let exitHookInstalled = false;

/** How many ffmpeg/ffprobe children this process has started (tests use it to prove a cache hit spawned nothing). */
export function spawnCount(): number {
  return spawned;
}

/** How many of those children are still running (tests use it to prove nothing is left behind). */
export function liveCount(): number {
  return live.size;
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A CLI interrupted mid-decode must not leave ffmpeg orphaned and writing.
  process.once('exit', () => {
    for (const c of live) c.kill('SIGKILL');
  });
}

/** Spawns the tool with an argument array (never a shell) and manages its lifetime. */
export function spawnTool(tool: Tool, args: readonly string[], o: SpawnOptions = {}): ManagedChild {
  const loc = locateTool(tool);
  const { path } = loc;
  const graceMs = o.graceMs ?? 2000;
  const tailChars = o.stderrTailChars ?? 4000;
  installExitHook();
  spawned++;
  const env = (o.isolateGconv ?? isStaticPackageBuild(loc)) ? isolatedGconvEnv() : undefined;
  const child = spawn(path, args as string[], { stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true, shell: false, env });
  live.add(child);
  let tail = '';
  let partial = '';
  let cancelled = false;
  let exited = false;
  let killTimer: NodeJS.Timeout | null = null;

  child.stderr.setEncoding('utf8');
  const onLine = (line: string): void => {
    // Per-frame lines (showinfo) are consumed by the caller and kept out of the
    // tail, so the tail still holds the error ffmpeg printed last.
    if (o.onStderrLine?.(line) === true) return;
    tail = (tail + line + '\n').slice(-tailChars);
  };
  child.stderr.on('data', (s: string) => {
    partial += s;
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      onLine(partial.slice(0, nl).replace(/\r$/, ''));
      partial = partial.slice(nl + 1);
    }
  });
  // A consumer that stops reading or a child that exits early must not crash us with EPIPE.
  child.stdin.on('error', () => {});
  child.stdout.on('error', () => {});

  const kill = (): void => {
    if (exited) return;
    cancelled = true;
    child.kill('SIGTERM');
    if (!killTimer) {
      killTimer = setTimeout(() => {
        if (!exited) child.kill('SIGKILL');
      }, graceMs);
      killTimer.unref();
    }
  };
  const onAbort = (): void => kill();
  if (o.signal) {
    if (o.signal.aborted) queueMicrotask(kill);
    else o.signal.addEventListener('abort', onAbort, { once: true });
  }

  const done = new Promise<ExitResult>((resolve) => {
    let spawnError: Error | null = null;
    child.once('error', (e) => {
      spawnError = e;
    });
    child.once('close', (code, signal) => {
      exited = true;
      live.delete(child);
      if (killTimer) clearTimeout(killTimer);
      o.signal?.removeEventListener('abort', onAbort);
      if (partial) onLine(partial);
      if (spawnError) resolve({ status: 'spawn-error', message: spawnError.message, stderrTail: tail });
      else if (cancelled) resolve({ status: 'cancelled', signal, stderrTail: tail });
      else if (code === 0) resolve({ status: 'ok', code: 0, stderrTail: tail });
      else resolve({ status: 'failed', code, signal, stderrTail: tail });
    });
  });

  return { pid: child.pid, stdout: child.stdout, stdin: child.stdin, done, kill };
}

/** Runs the tool to completion, collecting stdout as text (for ffprobe and small jobs). */
export async function runTool(tool: Tool, args: readonly string[], o: SpawnOptions = {}): Promise<{ result: ExitResult; stdout: string }> {
  const c = spawnTool(tool, args, o);
  c.stdin.end();
  const chunks: Buffer[] = [];
  c.stdout.on('data', (b: Buffer) => chunks.push(b));
  const result = await c.done;
  return { result, stdout: Buffer.concat(chunks).toString('utf8') };
}

/** The most telling stderr line (ffmpeg puts the real reason last, after its banner). */
export function lastErrorLine(stderrTail: string): string {
  const lines = stderrTail
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^(frame=|size=|video:|Stream mapping|Press \[q\])/.test(l) && !/showinfo/.test(l));
  const meaningful = lines.filter((l) => /error|invalid|no such|not found|denied|unknown|failed|could not|cannot|moov|truncat|end of file/i.test(l));
  return (meaningful.at(-1) ?? lines.at(-1) ?? 'no message').replace(/^\[[^\]]+\]\s*/, '');
}
