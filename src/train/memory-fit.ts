/**
 * Will a training run fit in this machine's memory? An input size far
 * beyond what the machine holds (e.g. 4096x4096: about 38 GiB of
 * activations per batch of 32) used to decode gigabytes of frames and then
 * page for ever. This estimates the memory up front from the model's layer
 * plan, so such a run is refused in a second, with the numbers.
 */
import { totalmem } from 'node:os';
import { formatBytes } from '../disk-space.ts';
import { UserError } from '../errors.ts';
import type { ModelConfig } from '../model/config.ts';
import { planModel, planParamCount } from '../model/plan.ts';

/** float32. */
const F32 = 4;

/** Estimated bytes of one training process, by part. */
export interface MemoryEstimate {
  /** Decoded frames in memory (the OS page cache over the disk cache; the allowance DEFAULT_FRAME_CACHE_BYTES caps it). */
  frameCache: number;
  /** Input batches as float32, twice (one assembled while the other trains). */
  batches: number;
  /** Activations of one batch: each layer's output, pre-activation and gradient. */
  activations: number;
  /** Weights, gradients and two Adam moments. */
  model: number;
  total: number;
}

/**
 * Estimates the memory a run needs. frameCacheBytes is the frames'
 * allowance (experiments/training-data.ts); frames caps it when the data set
 * is smaller. A floor estimate: the engine's own buffers come on top.
 */
export function estimateTrainingMemory(model: ModelConfig, batchSize: number, o: { frameCacheBytes: number; frames?: number }): MemoryEstimate {
  const { width, height, channels } = model.input;
  const frameBytes = width * height * channels;
  const frameCache = Math.min(o.frameCacheBytes, o.frames === undefined ? Infinity : o.frames * frameBytes);
  const batches = 2 * batchSize * frameBytes * F32;
  const plan = planModel(model);
  const outputs = plan.trunk.reduce((s, l) => s + (l.kind === 'conv' ? l.outH * l.outW * l.outC : l.outUnits), 0);
  const activations = 3 * batchSize * outputs * F32;
  const params = planParamCount(plan, model.batchnorm);
  const modelBytes = 4 * params * F32;
  return { frameCache, batches, activations, model: modelBytes, total: frameCache + batches + activations + modelBytes };
}

/**
 * Throws UserError, with the estimate, when a run cannot fit in
 * `availableBytes` (default: 90% of this machine's memory).
 */
export function assertTrainingFits(model: ModelConfig, batchSize: number, o: { frameCacheBytes: number; frames?: number; availableBytes?: number }): void {
  const e = estimateTrainingMemory(model, batchSize, o);
  const avail = o.availableBytes ?? 0.9 * totalmem();
  if (e.total <= avail) return;
  const { width, height } = model.input;
  throw new UserError(
    `input ${height}x${width} (HxW) at batch size ${batchSize} needs about ${formatBytes(e.total)} of memory ` +
      `(activations ${formatBytes(e.activations)}, model ${formatBytes(e.model)}, batches ${formatBytes(e.batches)}, frame cache ${formatBytes(e.frameCache)}) ` +
      `but this machine has ${formatBytes(avail)} to give; use a smaller --input (e.g. 66x200) or --batch-size`,
  );
}
