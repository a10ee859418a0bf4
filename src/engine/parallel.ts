/**
 * Data-parallel gradients over worker threads: the way to use both cores
 * offline. tfjs' threaded wasm build cannot start under Node (in
 * tfjs-backend-wasm 4.22 its pthread workers come from blob: URLs), so each
 * worker runs its own single-threaded wasm instance and model copy.
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
import { CancelledError } from '../errors.ts';
import type { WorkerInit, WorkerReply, WorkerRequest } from './grad-worker.ts';
import type { EngineChoice } from './names.ts';
import { isRawBatch, rawShard } from '../data/raw-batch.ts';
import { SharedSlab } from './heap-ops.ts';
import type { ComputeResult, ForwardArrays, GradientProvider, ModelInput } from './provider.ts';

export interface ParallelOptions {
  /** The model every worker builds (same config the trainer uses). */
  model: Partial<ModelConfig>;
  /** L2 coefficient, as in lossAndGrads. */
  l2: number;
  /** Worker threads; default: 2 (this lab's target machine has 2 cores). */
  workers?: number;
  /** Engine inside each worker; default 'wasm'. */
  engine?: EngineChoice;
  /** Base seed for dropout masks. */
  seed?: number;
  /** Shards smaller than this are merged: tiny batches are not worth a round trip. Default 4. */
  minShard?: number;
  /** Aborting terminates the workers and fails pending computations with CancelledError. */
  signal?: AbortSignal;
}

export interface ParallelProvider extends GradientProvider {
  readonly workers: number;
  /**
   * The inference forward pass of one whole batch on the least busy worker
   * (a batch is never split, so each output is what Regressor.apply on this
   * thread gives for the same batch: same kernels, same shapes). The
   * weights are shared with the workers once per distinct array list: pass
   * the same, unchanged arrays for every batch of one pass.
   */
  predict(weights: Float32Array[], x: ModelInput, n: number): Promise<Float32Array>;
  /** = workers: predict() calls worth keeping in flight. */
  readonly concurrency: number;
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

type Result = { type: 'result'; loss: number; forward?: ForwardArrays };
type Reply = Result | { type: 'configured' } | { type: 'predicted'; out: Float32Array };

interface Slot {
  worker: Worker;
  /** Where this worker writes its gradients (reused every step). */
  grads: SharedSlab;
  pending: Map<number, { resolve(r: Reply): void; reject(e: Error): void }>;
}

/** What the pool's workers and its public object share. */
interface PoolState {
  slots: Slot[];
  disposed: boolean;
  lastWorkerMs: number[];
  lastWorkerCpuMs: (number | null)[];
  /** Stops every worker and fails pending calls with CancelledError (idempotent). */
  dispose(): void;
}

const stopped = () => new CancelledError('gradient workers were stopped');

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

/** Fails every pending call of every worker with err. */
function failAll(st: PoolState, err: Error): void {
  for (const s of st.slots) {
    for (const p of s.pending.values()) p.reject(err);
    s.pending.clear();
  }
}

/** Starts worker i; resolves with its engine once it has built its model. A dead worker stops the pool. */
function startWorker(i: number, init: WorkerInit, st: PoolState): Promise<{ engine: string }> {
  const worker = new Worker(BOOTSTRAP, { workerData: init });
  live++;
  worker.once('exit', () => live--);
  const slot: Slot = { worker, grads: new SharedSlab(), pending: new Map() };
  st.slots.push(slot);
  return new Promise((resolve, reject) => {
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
        st.lastWorkerMs[i] = m.ms;
        st.lastWorkerCpuMs[i] = m.cpuMs;
        p.resolve({ type: 'result', loss: m.loss, forward: m.forward });
      } else if (m.type === 'configured') {
        p.resolve({ type: 'configured' });
      } else if (m.type === 'predicted') {
        p.resolve({ type: 'predicted', out: m.out });
      } else {
        p.reject(new Error(`gradient worker ${i + 1}: ${m.message}`));
      }
    });
    worker.on('error', (err) => {
      reject(err);
      // A dead worker leaves the pool unusable: stop the others too (no leaked threads).
      failAll(st, new Error(`gradient worker ${i + 1} failed: ${err.message}`));
      st.dispose();
    });
    worker.on('exit', (code) => {
      // Stopped while starting (abort or dispose): fail the start-up instead of waiting forever for 'ready'.
      if (st.disposed) reject(stopped());
      else {
        const err = new Error(`gradient worker ${i + 1} exited with code ${code}`);
        reject(err);
        failAll(st, err);
        st.dispose();
      }
    });
  });
}

/** Sends one request to one worker; rejects with CancelledError once the pool is stopped. */
function send(st: PoolState, slot: Slot, req: WorkerRequest, transfer: ArrayBuffer[]): Promise<Reply> {
  return new Promise<Reply>((resolve, reject) => {
    if (st.disposed) {
      reject(stopped());
      return;
    }
    slot.pending.set(req.id, { resolve, reject });
    slot.worker.ref();
    slot.worker.postMessage(req, transfer);
  });
}

/**
 * The shard gradients averaged, weighted by shard size: the mean over all n
 * samples, into `out`: fround(w0 * g0), then fround(acc + w1 * g1), ... (the
 * weights and products in float64): the same float32 roundings as summing
 * into zeroed arrays.
 */
export function averageShards(results: Result[], shardGrads: Float32Array[][], sizes: number[], n: number, out: Float32Array[]): ComputeResult {
  let loss = 0;
  results.forEach((r, i) => {
    loss += (sizes[i] / n) * r.loss;
  });
  for (let j = 0; j < out.length; j++) {
    const acc = out[j];
    const g0 = shardGrads[0][j];
    const w0 = sizes[0] / n;
    if (shardGrads.length === 2) {
      // Two shards (the usual pool) in one pass: the same two roundings, 30% less time on the step's critical path.
      const g1 = shardGrads[1][j];
      const w1 = sizes[1] / n;
      for (let e = 0; e < acc.length; e++) acc[e] = Math.fround(w0 * g0[e]) + w1 * g1[e];
      continue;
    }
    for (let e = 0; e < acc.length; e++) acc[e] = w0 * g0[e];
    for (let i = 1; i < shardGrads.length; i++) {
      const g = shardGrads[i][j];
      const w = sizes[i] / n;
      for (let e = 0; e < acc.length; e++) acc[e] += w * g[e];
    }
  }
  return { loss, grads: out, forward: joinForwards(results.map((r) => r.forward)) };
}

/**
 * The shards' forward passes as one over the whole batch: each array's blocks, shard after shard (they are
 * [samples, ...]), not copied: a PilotNet batch's traces are about 27 MB, and copying them into new arrays took
 * 50 ms per logging step on the main thread while both workers waited (measured).
 */
function joinForwards(parts: (ForwardArrays | undefined)[]): ForwardArrays | undefined {
  if (parts.some((f) => !f)) return undefined;
  const fs = parts as ForwardArrays[];
  const first = fs[0];
  return {
    ...first,
    arrays: first.arrays.map((_, k) => fs.flatMap((f) => f.arrays[k])),
    shapes: first.shapes.map((s, k) => [fs.reduce((a, f) => a + f.shapes[k][0], 0), ...s.slice(1)]),
  };
}

/**
 * The weights in shared memory, as views: every worker reads the same memory
 * (one copy here instead of one structured clone per worker). Two slabs
 * used in turn: a step's workers have read their weights before they reply,
 * so the slab of step s is free again at step s + 2 (and the trainer awaits
 * each step anyway). Weights already in the slab (weightViews) are not copied.
 */
function shareWeights(slabs: SharedSlab[], turn: number, weights: Float32Array[]): Float32Array[] {
  if (slabs.some((s) => s.owns(weights))) return weights;
  const views = slabs[turn % slabs.length].views(weights.map((w) => w.length));
  views.forEach((v, i) => v.set(weights[i]));
  return views;
}

/**
 * Samples [from, to) of x for a worker, and what to transfer: a view when x
 * is on shared memory (FrameSource's batches are, floats or raw: no copy),
 * else a copy that can be transferred (the caller keeps x).
 */
function shard(x: ModelInput, from: number, to: number, n: number): { xs: ModelInput; transfer: ArrayBuffer[] } {
  if (isRawBatch(x)) {
    if (!(x.bytes.buffer instanceof SharedArrayBuffer)) throw new Error('a raw batch for the gradient workers must be on shared memory (allocRawBatch)');
    return { xs: rawShard(x, from, to), transfer: [] };
  }
  const per = x.length / n;
  if (x.buffer instanceof SharedArrayBuffer) return { xs: x.subarray(from * per, to * per), transfer: [] };
  const xs = x.slice(from * per, to * per);
  return { xs, transfer: [xs.buffer as ArrayBuffer] };
}

/** Checks that x holds n samples. */
function checkInput(what: string, x: ModelInput, n: number): void {
  const ok = n > 0 && (isRawBatch(x) ? x.n === n : x.length % n === 0);
  if (!ok) throw new Error(`${what}: bad batch (n=${n}, x=${isRawBatch(x) ? `${x.n} raw samples` : x.length})`);
}

/**
 * Starts the worker threads and resolves once every one has built its model.
 * Rejects with CancelledError when the signal aborts first.
 */
export async function createParallelProvider(o: ParallelOptions): Promise<ParallelProvider> {
  if (o.signal?.aborted) throw stopped();
  const count = Math.max(1, Math.floor(o.workers ?? 2));
  const init: WorkerInit = { model: o.model, l2: o.l2, engine: o.engine ?? 'wasm', seed: o.seed ?? 1 };
  let nextId = 1;
  let step = 0;
  let computing = false;
  let predictWeights: { given: Float32Array[] | null; shared: Float32Array[] } = { given: null, shared: [] };
  // Reused shared memory: weights (two slabs in turn) and the averaged gradients. Fresh arrays every step
  // (5.5 MB a step at PilotNet's size) kept the main thread's garbage collector busy: 1.9 s of a 25 s cell.
  const weightSlabs = [new SharedSlab(), new SharedSlab()];
  const averaged = new SharedSlab();
  const st: PoolState = {
    slots: [], disposed: false, lastWorkerMs: [], lastWorkerCpuMs: [],
    dispose() {
      if (st.disposed) return;
      st.disposed = true;
      failAll(st, stopped());
      for (const s of st.slots) void s.worker.terminate();
    },
  };
  o.signal?.addEventListener('abort', st.dispose, { once: true });
  const ready = Array.from({ length: count }, (_, i) => startWorker(i, init, st));
  let engine: string;
  try {
    engine = (await Promise.all(ready))[0].engine;
  } catch (err) {
    st.dispose();
    throw err;
  }
  /** One compute call: the batch split into shards, one per worker, and their gradients averaged. */
  async function computeShards(weights: Float32Array[], x: ModelInput, yTarget: Float32Array, n: number, co?: { trace?: boolean }): Promise<ComputeResult> {
    const sizes = shardSizes(n, Math.max(1, Math.min(count, Math.floor(n / (o.minShard ?? 4)))));
    step++;
    let start = 0;
    const shared = shareWeights(weightSlabs, step, weights);
    const lengths = weights.map((w) => w.length);
    const shardGrads = sizes.map((_, i) => st.slots[i].grads.views(lengths));
    const jobs = sizes.map((m, i) => {
      const { xs, transfer } = shard(x, start, start + m, n);
      const ys = yTarget.slice(start, start + m);
      start += m;
      const req: WorkerRequest = {
        type: 'compute', id: nextId++, weights: shared, x: xs, y: ys, n: m, seed: (init.seed * 1000003 + step * 31 + i) >>> 0, trace: co?.trace,
        gradOut: shardGrads[i],
      };
      return send(st, st.slots[i], req, [...transfer, ys.buffer as ArrayBuffer]);
    });
    const results = (await Promise.all(jobs)) as Result[];
    if (results.length === 1) return { loss: results[0].loss, grads: shardGrads[0], forward: results[0].forward };
    return averageShards(results, shardGrads, sizes, n, averaged.views(lengths));
  }
  return {
    workers: count,
    concurrency: count,
    engine,
    lastWorkerMs: st.lastWorkerMs,
    lastWorkerCpuMs: st.lastWorkerCpuMs,
    get disposed() {
      return st.disposed;
    },
    async reconfigure(model, l2) {
      if (st.disposed) throw stopped();
      init.model = model;
      init.l2 = l2;
      // Dropout seeds restart with the model, as they do for a freshly started pool.
      step = 0;
      await Promise.all(st.slots.map((s) => send(st, s, { type: 'configure', id: nextId++, model, l2 }, [])));
    },
    traces: true,
    weightViews(lengths) {
      return weightSlabs[(step + 1) % 2].views(lengths);
    },
    async compute(weights, x, yTarget, n, co) {
      if (st.disposed) throw stopped();
      checkInput('compute', x, n);
      if (yTarget.length < n) throw new Error(`compute: bad batch (n=${n}, y=${yTarget.length})`);
      // Gradients land in memory reused from call to call: a second call in flight would overwrite the first's.
      if (computing) throw new Error('compute: the previous call has not finished (its gradients are in memory this call reuses)');
      computing = true;
      try {
        return await computeShards(weights, x, yTarget, n, co);
      } finally {
        computing = false;
      }
    },
    async predict(weights, x, n) {
      if (st.disposed) throw stopped();
      checkInput('predict', x, n);
      // Whichever worker has the fewest calls pending: any worker gives the same numbers.
      const slot = st.slots.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
      // A validation pass sends the same arrays with every batch: share them with the workers once.
      if (weights !== predictWeights.given) predictWeights = { given: weights, shared: shareWeights([new SharedSlab()], 0, weights) };
      const { xs, transfer } = shard(x, 0, n, n);
      const r = await send(st, slot, { type: 'predict', id: nextId++, weights: predictWeights.shared, x: xs, n }, transfer);
      return (r as { out: Float32Array }).out;
    },
    dispose: st.dispose,
  };
}
