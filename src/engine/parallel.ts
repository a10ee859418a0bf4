/**
 * Data-parallel gradients over worker threads: the way to use both cores
 * offline. tfjs' threaded wasm build cannot start under Node (its pthread
 * workers come from blob: URLs, see FACTS.md), so each worker runs its own
 * single-threaded wasm instance and model copy.
 *
 * compute() splits the batch into contiguous shards, one per worker, and
 * averages the shard losses and gradients weighted by shard size. The loss
 * is a mean over samples (plus an L2 term that every shard adds in full), so
 * the weighted average is exactly the one-big-batch loss and gradient, up to
 * float32 rounding. Not exact for batchnorm (each shard normalises with its
 * own batch statistics) or dropout (each worker draws its own masks).
 */
import { Worker } from 'node:worker_threads';
import type { ModelConfig } from '../model/config.ts';
import type { GradientProvider } from '../train/provider.ts';
import type { WorkerInit, WorkerReply, WorkerRequest } from './grad-worker.ts';
import type { EngineName } from './index.ts';

export interface ParallelOptions {
  /** The model every worker builds (same config the trainer uses). */
  model: Partial<ModelConfig>;
  /** L2 coefficient, as in lossAndGrads. */
  l2: number;
  /** Worker threads; default: 2 (this lab's target machine has 2 cores). */
  workers?: number;
  /** Engine inside each worker; default 'wasm'. */
  engine?: EngineName | 'auto';
  /** Base seed for dropout masks. */
  seed?: number;
  /** Shards smaller than this are merged: tiny batches are not worth a round trip. Default 4. */
  minShard?: number;
  /** Aborting terminates the workers and fails pending computations. */
  signal?: AbortSignal;
}

export interface ParallelProvider extends GradientProvider {
  readonly workers: number;
  /** Engine the workers report (e.g. 'wasm'). */
  readonly engine: string;
  /** Per-worker compute time of the last call, ms (where the time goes). */
  readonly lastWorkerMs: number[];
  /** Per-worker thread CPU time of the last call, ms (10-ms clock ticks: average many calls); null off Linux. */
  readonly lastWorkerCpuMs: (number | null)[];
  /**
   * Rebuilds every worker's model for another config (another grid cell),
   * keeping the threads: starting a worker costs seconds, rebuilding a model
   * milliseconds. Resolves when every worker has rebuilt.
   */
  reconfigure(model: Partial<ModelConfig>, l2: number): Promise<void>;
  /** True once dispose() ran or the pool was aborted or a worker died. */
  readonly disposed: boolean;
}

type Reply = { type: 'result'; loss: number; grads: Float32Array[] } | { type: 'configured' };

interface Slot {
  worker: Worker;
  pending: Map<number, { resolve(r: Reply): void; reject(e: Error): void }>;
}

const BOOTSTRAP = new URL('./grad-worker.mjs', import.meta.url);

let live = 0;
/** Gradient worker threads of this process that have not exited yet (leak checks in tests). */
export function liveWorkerCount(): number {
  return live;
}

/** Split n samples into k contiguous shards whose sizes differ by at most one. */
export function shardSizes(n: number, k: number): number[] {
  const base = Math.floor(n / k);
  const extra = n % k;
  return Array.from({ length: k }, (_, i) => base + (i < extra ? 1 : 0)).filter((s) => s > 0);
}

/** Starts the worker threads and resolves once every one has built its model. */
export async function createParallelProvider(o: ParallelOptions): Promise<ParallelProvider> {
  if (o.signal?.aborted) throw new Error('gradient workers were stopped');
  const count = Math.max(1, Math.floor(o.workers ?? 2));
  const init: WorkerInit = { model: o.model, l2: o.l2, engine: o.engine ?? 'wasm', seed: o.seed ?? 1 };
  const slots: Slot[] = [];
  let disposed = false;
  let nextId = 1;
  let step = 0;
  const lastWorkerMs: number[] = [];
  const lastWorkerCpuMs: (number | null)[] = [];

  const failAll = (err: Error) => {
    for (const s of slots) {
      for (const p of s.pending.values()) p.reject(err);
      s.pending.clear();
    }
  };
  const dispose = () => {
    if (disposed) return;
    disposed = true;
    failAll(new Error('gradient workers were stopped'));
    for (const s of slots) void s.worker.terminate();
  };
  o.signal?.addEventListener('abort', dispose, { once: true });

  const ready: Promise<{ engine: string }>[] = [];
  for (let i = 0; i < count; i++) {
    const worker = new Worker(BOOTSTRAP, { workerData: init });
    live++;
    worker.once('exit', () => live--);
    const slot: Slot = { worker, pending: new Map() };
    slots.push(slot);
    ready.push(new Promise((resolve, reject) => {
      worker.on('message', (m: WorkerReply) => {
        if (m.type === 'ready') {
          resolve({ engine: m.engine });
          // Idle workers must not keep the process alive if the caller forgets dispose().
          worker.unref();
          return;
        }
        const p = slot.pending.get(m.id);
        if (!p) return;
        slot.pending.delete(m.id);
        if (slot.pending.size === 0) worker.unref();
        if (m.type === 'result') {
          lastWorkerMs[i] = m.ms;
          lastWorkerCpuMs[i] = m.cpuMs;
          p.resolve({ type: 'result', loss: m.loss, grads: m.grads });
        } else if (m.type === 'configured') {
          p.resolve({ type: 'configured' });
        } else {
          p.reject(new Error(`gradient worker ${i + 1}: ${m.message}`));
        }
      });
      worker.on('error', (err) => {
        reject(err);
        // A dead worker leaves the pool unusable: stop the others too (no leaked threads).
        const e = new Error(`gradient worker ${i + 1} failed: ${err.message}`);
        failAll(e);
        dispose();
      });
      worker.on('exit', (code) => {
        // Stopped while starting (abort or dispose): fail the start-up instead of waiting forever for 'ready'.
        if (disposed) reject(new Error('gradient workers were stopped'));
        else {
          const err = new Error(`gradient worker ${i + 1} exited with code ${code}`);
          reject(err);
          failAll(err);
          dispose();
        }
      });
    }));
  }
  let engine: string;
  try {
    engine = (await Promise.all(ready))[0].engine;
  } catch (err) {
    dispose();
    throw err;
  }

  const send = (slot: Slot, req: WorkerRequest, transfer: ArrayBuffer[]) =>
    new Promise<Reply>((resolve, reject) => {
      if (disposed) {
        reject(new Error('gradient workers were stopped'));
        return;
      }
      slot.pending.set(req.id, { resolve, reject });
      slot.worker.ref();
      slot.worker.postMessage(req, transfer);
    });

  return {
    workers: count,
    engine,
    lastWorkerMs,
    lastWorkerCpuMs,
    get disposed() {
      return disposed;
    },
    async reconfigure(model, l2) {
      if (disposed) throw new Error('gradient workers were stopped');
      init.model = model;
      init.l2 = l2;
      // Dropout seeds restart with the model, as they do for a freshly started pool.
      step = 0;
      await Promise.all(slots.map((s) => send(s, { type: 'configure', id: nextId++, model, l2 }, [])));
    },
    async compute(weights, x, yTarget, n) {
      if (disposed) throw new Error('gradient workers were stopped');
      if (n <= 0 || x.length % n !== 0 || yTarget.length < n) throw new Error(`compute: bad batch (n=${n}, x=${x.length}, y=${yTarget.length})`);
      const per = x.length / n;
      const k = Math.max(1, Math.min(count, Math.floor(n / (o.minShard ?? 4))));
      const sizes = shardSizes(n, k);
      step++;
      let start = 0;
      const jobs = sizes.map((m, i) => {
        // slice() copies, so the shard buffers can be transferred; the caller keeps x.
        const xs = x.slice(start * per, (start + m) * per);
        const ys = yTarget.slice(start, start + m);
        start += m;
        const req: WorkerRequest = { type: 'compute', id: nextId++, weights, x: xs, y: ys, n: m, seed: (init.seed * 1000003 + step * 31 + i) >>> 0 };
        return send(slots[i], req, [xs.buffer as ArrayBuffer, ys.buffer as ArrayBuffer]);
      });
      const results = (await Promise.all(jobs)) as { type: 'result'; loss: number; grads: Float32Array[] }[];
      if (results.length === 1) return { loss: results[0].loss, grads: results[0].grads };
      // Weighted by shard size: the mean over all n samples.
      let loss = 0;
      const grads = results[0].grads.map((g) => new Float32Array(g.length));
      results.forEach((r, i) => {
        const wgt = sizes[i] / n;
        loss += wgt * r.loss;
        r.grads.forEach((g, j) => {
          const acc = grads[j];
          for (let e = 0; e < g.length; e++) acc[e] += wgt * g[e];
        });
      });
      return { loss, grads };
    },
    dispose,
  };
}
