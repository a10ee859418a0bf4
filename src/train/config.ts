/**
 * The one run configuration, with every default in one place. A run's
 * config.json is `RunConfig.parse(userInput)`, so old files keep working.
 */
import { z } from 'zod';
import { ModelConfig } from '../model/config.ts';
import { TargetConfig } from '../targets/config.ts';
import { AutonomySettings } from '../targets/metrics-types.ts';
import { SplitConfig } from '../data/split.ts';
import { AugmentConfig } from '../data/augment.ts';

// The split and augmentation schemas live with the code that reads them (data/);
// re-exported so a run's whole configuration can be imported from one place.
export { SplitConfig, AugmentConfig };

export const OptimizerConfig = z.strictObject({
  name: z.enum(['adam', 'sgd', 'rmsprop']).default('adam'),
  learningRate: z.number().positive().default(1e-3),
  /** SGD momentum (0 = plain gradient descent). */
  momentum: z.number().min(0).max(0.999).default(0.9),
  /** 'constant', or cosine decay to lrMin over the run, with linear warm-up steps. */
  schedule: z.enum(['constant', 'cosine', 'step']).default('constant'),
  warmupSteps: z.number().int().nonnegative().default(0),
  lrMin: z.number().nonnegative().default(0),
  /** For 'step': multiply by gamma every stepEvery epochs. */
  stepEvery: z.number().int().positive().default(10),
  gamma: z.number().positive().default(0.5),
  /** Clip the global gradient L2 norm to this value (absent = no clipping). */
  clipNorm: z.number().positive().optional(),
});
export type OptimizerConfig = z.infer<typeof OptimizerConfig>;

export const RunConfig = z.strictObject({
  name: z.string().default('run'),
  seed: z.number().int().default(1),
  model: ModelConfig.default(ModelConfig.parse({})),
  targets: TargetConfig.default(TargetConfig.parse({})),
  optimizer: OptimizerConfig.default(OptimizerConfig.parse({})),
  split: SplitConfig.default(SplitConfig.parse({})),
  augment: AugmentConfig.default(AugmentConfig.parse({})),
  epochs: z.number().int().positive().default(10),
  batchSize: z.number().int().positive().default(32),
  /** Stop after this many steps per epoch (0 = full epoch). */
  maxStepsPerEpoch: z.number().int().nonnegative().default(0),
  /** Compute per-layer diagnostics every N steps (a read-back is a sync point). */
  logEvery: z.number().int().positive().default(10),
  /** Stop when validation loss has not improved for this many epochs (0 = off). */
  earlyStopPatience: z.number().int().nonnegative().default(0),
  /** Engine to train on; 'auto' = best available. */
  engine: z.enum(['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']).default('auto'),
  /** Closed-loop autonomy estimate after training (targets/autonomy.ts); absent = the documented defaults. */
  autonomy: AutonomySettings.optional(),
});
export type RunConfig = z.infer<typeof RunConfig>;
export type RunConfigInput = z.input<typeof RunConfig>;
