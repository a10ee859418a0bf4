/**
 * Model configuration: plain JSON, saved with every run. Registries in
 * model/ map these names to functions.
 */
import { z } from 'zod';

export const ActivationName = z.enum(['relu', 'elu', 'leaky_relu', 'tanh', 'sigmoid', 'linear']);
export const InitName = z.enum([
  'he_normal', 'he_uniform', 'glorot_normal', 'glorot_uniform', 'lecun_normal', 'lecun_uniform', 'normal_0.01',
]);
/** A head's kernel initialiser: any InitName, or 'small' (see model/init.ts). */
export const HeadInitName = z.union([InitName, z.literal('small')]);
export const HeadName = z.enum(['linear', 'tanh', 'scaled_tanh']);

export const AuxHead = z.strictObject({
  /** Name of the trunk layer whose output feeds this head (see Regressor.layers). */
  after: z.string(),
  lossWeight: z.number().nonnegative(),
  head: HeadName.default('linear'),
});

export const ModelConfig = z.strictObject({
  arch: z.enum(['pilotnet', 'mlp']).default('pilotnet'),
  /** Input size in pixels (pilotnet) or features (mlp: width = features, height = 1, channels = 1). */
  input: z.strictObject({ height: z.number().int().positive(), width: z.number().int().positive(), channels: z.number().int().positive().default(3) }).default({ height: 66, width: 200, channels: 3 }),
  /** Scales every conv/dense width (PilotNet 1.0 = 24,36,48,64,64 / 100,50,10). */
  widthMultiplier: z.number().positive().default(1),
  /** Hidden sizes for arch = 'mlp'. */
  hidden: z.array(z.number().int().positive()).default([64, 32]),
  activation: ActivationName.default('elu'),
  /**
   * Initialiser of the trunk's conv and dense kernels. Default Glorot uniform
   * (Keras' default, used by most PilotNet code): on the synthetic drive at
   * 66x200 with ELU, He-normal's larger variance gave runs that swung from
   * 23 to 108 degrees RMSE between seeds after 2 epochs and let a tanh head
   * saturate, where Glorot trained every head and seed.
   */
  init: InitName.default('glorot_uniform'),
  /**
   * Initialiser of the output heads' kernels. A bounded head (tanh) saturates
   * at step 0 when its pre-activation starts far from 0, which He's gain of 2
   * on top of a trunk's positive activations can do; Glorot's variance
   * 2/(fanIn + 1) on one output unit is about He's, so the default is LeCun's
   * 1/fanIn scaled down tenfold in variance ('small'): every head starts near
   * its centre, whatever the trunk's activation scale.
   */
  headInit: HeadInitName.default('small'),
  /**
   * How pixel inputs (pilotnet; values in [0, 1] after augmentation) enter the
   * first convolution: 'centered' = 2x - 1 in [-1, 1] (PilotNet's
   * normalisation layer, x/127.5 - 1), 'unit' = as they are. Uncentred inputs
   * give every first-layer unit a common positive offset that He-initialised
   * ELU layers carry and grow to the head. The mlp arch takes features as
   * given.
   */
  inputNorm: z.enum(['centered', 'unit']).default('centered'),
  batchnorm: z.boolean().default(false),
  dropout: z.number().min(0).max(0.95).default(0),
  /** L2 weight decay coefficient added to the loss (0 = off). */
  l2: z.number().nonnegative().default(0),
  head: HeadName.default('linear'),
  /** k in k*tanh for head = 'scaled_tanh'. */
  headScale: z.number().positive().default(2),
  auxHeads: z.array(AuxHead).default([]),
});
export type ModelConfig = z.infer<typeof ModelConfig>;
export type ActivationName = z.infer<typeof ActivationName>;
export type InitName = z.infer<typeof InitName>;
export type HeadInitName = z.infer<typeof HeadInitName>;
export type HeadName = z.infer<typeof HeadName>;
