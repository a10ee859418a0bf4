/**
 * How many gradient worker threads a run gets (parallel.ts), decided from
 * the engine, the model and the machine, with the reason in words.
 *
 * Measured with trainRun on a 2-core machine (bench/train-parallel.ts; the
 * figures are in the README's training-speed section): workers lose on the
 * demo net (33x100 at half width, 104 forward MFLOP per step: a shard is too
 * little work, and messaging plus three threads sharing two cores eat the
 * split) and gain on the 66x200 nets (517 MFLOP at half width, 1,720 for
 * PilotNet). 'auto' therefore keeps small models in-process.
 */
import type { ModelConfig } from '../model/config.ts';
import { planFlops, planModel } from '../model/plan.ts';

export type WorkersOption = number | 'auto';

export interface WorkerPlan {
  /** 1 = in-process (no pool). */
  workers: number;
  /** Why, in words with the numbers (for logs and the run record). */
  reason: string;
}

/**
 * 'auto' starts workers from this much forward-pass work per step (MFLOP,
 * batch x per-sample): between the demo net (104, no gain) and half-width
 * 66x200 PilotNet (517, a gain on free cores).
 */
export const AUTO_MIN_MFLOP_PER_STEP = 400;
/**
 * 'auto' starts workers only for at least this many planned steps: a pool
 * takes seconds to start (each worker loads its own wasm engine and model),
 * and at the threshold above a step saves tens of milliseconds, so fewer
 * steps would not repay it (bench/train-parallel.ts).
 */
export const AUTO_MIN_STEPS = 100;
/** 'auto' uses at most this many workers (only 2 were measured; shards under 8 samples lose efficiency). */
export const AUTO_MAX_WORKERS = 4;

/** Forward-pass MFLOP per sample (2 x multiply-adds of convs and dense layers; activations not counted). */
export function forwardMflopPerSample(model: ModelConfig): number {
  return planFlops(planModel(model)).forward / 1e6;
}

/** Label for records and tables: 'wasm' or 'wasm x2 workers'. */
export function engineLabel(engine: string, workers: number): string {
  return workers > 1 ? `${engine} x${workers} workers` : engine;
}

/**
 * Workers for one run. An explicit count is honoured except where workers
 * would change the result or cannot help: batchnorm (each worker would
 * normalise its shard with its own statistics, not the batch's), dropout
 * (a gradient provider gets no per-step seed, so masks would not follow the
 * run's seed and a resumed run would not repeat itself), and engines other
 * than wasm (native TensorFlow already uses every core; the pure-JS cpu
 * backend is too slow for workers to matter).
 */
export function planWorkers(
  req: WorkersOption,
  o: { engine: string; model: ModelConfig; batchSize: number; cores: number; /** Steps the pool would serve (all runs sharing it); unknown = enough. */ plannedSteps?: number },
): WorkerPlan {
  if (req !== 'auto' && (!Number.isInteger(req) || req < 1)) throw new Error(`workers must be a whole number >= 1 or 'auto' (got ${String(req)})`);
  const asked = req === 'auto' ? 'auto' : `${req} asked`;
  if (req === 1) return { workers: 1, reason: 'in-process: 1 worker asked' };
  if (o.engine !== 'wasm') return { workers: 1, reason: `in-process (${asked}): worker threads are for the wasm engine, this run uses ${o.engine}` };
  if (o.model.batchnorm) return { workers: 1, reason: `in-process (${asked}): batchnorm would normalise each worker's shard with its own statistics` };
  if (o.model.dropout > 0) return { workers: 1, reason: `in-process (${asked}): dropout masks in workers would not follow the run's seed` };
  const maxByBatch = Math.max(1, Math.floor(o.batchSize / 4));
  if (req !== 'auto') {
    const n = Math.min(req, maxByBatch);
    return n > 1
      ? { workers: n, reason: `${n} workers (${asked}${n < req ? `; a batch of ${o.batchSize} gives at most ${maxByBatch} shards of 4` : ''})` }
      : { workers: 1, reason: `in-process (${asked}): a batch of ${o.batchSize} is too small to split` };
  }
  if (o.cores < 2) return { workers: 1, reason: `in-process (auto): ${o.cores} core available` };
  const mflop = forwardMflopPerSample(o.model) * o.batchSize;
  if (mflop < AUTO_MIN_MFLOP_PER_STEP) {
    return { workers: 1, reason: `in-process (auto): ${mflop.toFixed(0)} MFLOP forward per step is below the ${AUTO_MIN_MFLOP_PER_STEP} at which workers pay for their messaging` };
  }
  if (o.plannedSteps !== undefined && o.plannedSteps < AUTO_MIN_STEPS) {
    return { workers: 1, reason: `in-process (auto): ${o.plannedSteps} planned steps would not repay the workers' start-up (seconds); from ${AUTO_MIN_STEPS} steps they do` };
  }
  const n = Math.min(o.cores, AUTO_MAX_WORKERS, maxByBatch);
  if (n < 2) return { workers: 1, reason: `in-process (auto): a batch of ${o.batchSize} is too small to split` };
  return { workers: n, reason: `${n} workers (auto: ${o.cores} cores, ${mflop.toFixed(0)} MFLOP forward per step)` };
}
