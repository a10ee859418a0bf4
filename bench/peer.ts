/**
 * Runs the PyTorch peer (bench/peer_pytorch.py) when a Python with torch is
 * present; otherwise says why not.
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface PeerResult {
  name: string;
  trainSamplesPerS: number;
  fwdSamplesPerS: number;
  threads: number;
  params: number;
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

export function runPeer(python: string, seconds: number, threads = 2): Promise<PeerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [SCRIPT, '--threads', String(threads), '--seconds', String(seconds)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`PyTorch peer exited with ${code}: ${err.trim().split('\n').pop() ?? ''}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as PeerResult);
      } catch {
        reject(new Error(`PyTorch peer printed no JSON: ${out.slice(0, 200)}`));
      }
    });
  });
}
