/**
 * Runs the PyTorch peer (bench/peer_pytorch.py) when a Python with torch is
 * present; otherwise says why not. The bench keeps one peer process alive and
 * alternates short timed segments with its own engines' (PeerSession), so a
 * change in the machine's speed during the run hits both sides of a ratio.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { torchEnv } from '../src/reference/python.ts';

export interface PeerResult {
  name: string;
  trainSamplesPerS: number;
  fwdSamplesPerS: number;
  threads: number;
  params: number;
  /** Timed segments behind the figures (the median segment is reported). */
  segments?: number;
}

export interface PeerInfo {
  name: string;
  torch: string;
  threads: number;
  params: number;
  /** The data path of each step (what a real loop feeds the model). */
  input?: string;
}

export interface PeerSegment {
  samplesPerS: number;
  steps: number;
  seconds: number;
}

/** A warmed-up peer process that times training or forward passes on request. */
export interface PeerSession {
  info: PeerInfo;
  run(kind: 'train' | 'fwd', seconds: number): Promise<PeerSegment>;
  close(): void;
}

const SCRIPT = fileURLToPath(new URL('./peer_pytorch.py', import.meta.url));

/** The first Python that imports torch, or the reason none does. */
export function findTorchPython(): { python: string } | { reason: string } {
  const candidates = [process.env.STEERLAB_PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string => !!p);
  const tried: string[] = [];
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) return { python: py };
    tried.push(`${py}: ${r.error ? r.error.message : (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`)}`);
  }
  return { reason: `no Python with PyTorch (${tried.join('; ')})` };
}

/**
 * A child process that prints one JSON line when ready, then answers each
 * stdin line with one JSON line (an {"error"} line rejects that request).
 * Resolves with the ready line once it arrives.
 */
export interface JsonChild {
  ready: unknown;
  request(line: string): Promise<unknown>;
  close(): void;
}

/** Starts `cmd args` as a JsonChild (argument array, no shell); `name` prefixes its errors. */
export function startJsonChild(cmd: string, args: string[], name: string, env: NodeJS.ProcessEnv = process.env): Promise<JsonChild> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-8192)));
    const waiting: { resolve(v: unknown): void; reject(e: Error): void }[] = [];
    let exited = false;
    const fail = (e: Error) => {
      exited = true;
      for (const w of waiting.splice(0)) w.reject(e);
      reject(e);
    };
    child.on('error', fail);
    child.on('close', (code) => fail(new Error(`${name} exited with ${code}: ${err.trim().split('\n').find((l) => l.includes('.py:')) ?? err.trim().split('\n').pop() ?? ''}`)));
    const lines = createInterface({ input: child.stdout });
    let started = false;
    lines.on('line', (line) => {
      let msg: unknown;
      try {
        msg = JSON.parse(line);
      } catch {
        return fail(new Error(`${name} printed something that is not JSON: ${line.slice(0, 200)}`));
      }
      if (!started) {
        started = true;
        resolve({
          ready: msg,
          request(l) {
            if (exited) return Promise.reject(new Error(`${name} is not running`));
            return new Promise((res, rej) => {
              waiting.push({ resolve: res, reject: rej });
              child.stdin.write(`${l}\n`);
            });
          },
          close() {
            if (!exited) child.stdin.end('quit\n');
          },
        });
        return;
      }
      const w = waiting.shift();
      const m = msg as { error?: string };
      if (!w) return;
      if (m.error) w.reject(new Error(`${name}: ${m.error}`));
      else w.resolve(m);
    });
  });
}

/** Starts the peer in --serve mode; resolves once it has built the model and warmed up. */
export async function startPeer(python: string, threads = 2): Promise<PeerSession> {
  // The environment the lab's PyTorch reference runs in (src/reference/python.ts torchEnv: OpenMP threads that
  // sleep, glibc keeping freed memory).
  const c = await startJsonChild(python, [SCRIPT, '--serve', '--threads', String(threads)], 'PyTorch peer', torchEnv());
  return {
    info: c.ready as PeerInfo,
    run: (kind, seconds) => c.request(`${kind} ${seconds}`) as Promise<PeerSegment>,
    close: () => c.close(),
  };
}
