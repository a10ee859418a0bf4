/**
 * One gradient worker pool per experiment (parallel.ts), kept across grid
 * cells: a cell with the same model reuses it as is, a cell with another
 * model rebuilds the workers' models in place (milliseconds; starting a
 * worker costs seconds), and a different worker count starts a new pool.
 * dispose() (or the abort signal) terminates every worker; get() then
 * rejects with CancelledError.
 */
import { CancelledError } from '../errors.ts';
import type { ModelConfig } from '../model/config.ts';
import { createParallelProvider, type ParallelProvider } from './parallel.ts';

export interface PoolKeeper {
  /** A ready pool for this model and worker count. */
  get(model: Partial<ModelConfig>, l2: number, workers: number): Promise<ParallelProvider>;
  /** Pools started so far (a reuse or a rebuild does not count). */
  readonly started: number;
  /** Seconds spent waiting for pools to start, in total. */
  readonly startupS: number;
  dispose(): void;
}

export function createPoolKeeper(o: { signal?: AbortSignal; seed?: number } = {}): PoolKeeper {
  let pool: ParallelProvider | null = null;
  let key = '';
  let started = 0;
  let startupS = 0;
  let disposed = false;
  const keeper: PoolKeeper = {
    async get(model, l2, workers) {
      if (disposed || o.signal?.aborted) throw new CancelledError('gradient workers were stopped');
      const k = JSON.stringify({ model, l2 });
      if (pool && !pool.disposed && pool.workers === workers) {
        if (k !== key) {
          await pool.reconfigure(model, l2);
          key = k;
        }
        return pool;
      }
      pool?.dispose();
      pool = null;
      const t0 = performance.now();
      const p = await createParallelProvider({ model, l2, workers, engine: 'wasm', seed: o.seed, signal: o.signal });
      startupS += (performance.now() - t0) / 1000;
      started++;
      if (disposed) {
        p.dispose();
        throw new CancelledError('gradient workers were stopped');
      }
      pool = p;
      key = k;
      return p;
    },
    get started() {
      return started;
    },
    get startupS() {
      return startupS;
    },
    dispose() {
      disposed = true;
      pool?.dispose();
      pool = null;
    },
  };
  return keeper;
}
