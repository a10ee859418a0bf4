/**
 * Options of every lab study as zod schemas with their defaults in one place.
 * This file imports zod (and the tfjs-free engine names) only, so the
 * registry (and the app's preset list) can show defaults without loading
 * TensorFlow.js.
 */
import { z } from 'zod';
import { EngineChoice } from '../engine/names.ts';

const Engine = EngineChoice.default('auto');

/**
 * A data set opened elsewhere (the app's Data set view), as its DatasetSpec
 * without the input size (the study sets that): source, labels and the label
 * override, offset, crop and frame limit the person chose. Checked loosely
 * here (video/ validates the rest when it loads), so this file stays zod-only.
 */
export const DriveDataset = z.object({
  source: z.string().min(1),
  labels: z.string().min(1).optional(),
  labelOptions: z.record(z.string(), z.unknown()).optional(),
  offsetMs: z.number().optional(),
  maxGapMs: z.number().positive().optional(),
  crop: z.object({ top: z.number().int().nonnegative(), bottom: z.number().int().nonnegative(), left: z.number().int().nonnegative(), right: z.number().int().nonnegative() }).optional(),
  maxFrames: z.number().int().positive().optional(),
}).strict();
export type DriveDataset = z.infer<typeof DriveDataset>;

/** init-activation: signal propagation through plain deep nets at initialisation. */
export const InitActivationOptions = z.object({
  seed: z.number().int().default(1),
  engine: Engine,
  inits: z.array(z.enum(['he_normal', 'glorot_normal', 'lecun_normal', 'normal_0.01'])).default(['he_normal', 'glorot_normal', 'lecun_normal', 'normal_0.01']),
  activations: z.array(z.enum(['relu', 'tanh', 'sigmoid', 'elu'])).default(['relu', 'tanh', 'sigmoid', 'elu']),
  archs: z.array(z.enum(['dense', 'conv'])).default(['dense', 'conv']),
  /** Hidden layers (each followed by the activation). */
  depth: z.number().int().min(2).max(100).default(50),
  /** Units per dense layer. */
  width: z.number().int().positive().default(256),
  /** Conv: channels per layer, square input side in pixels, 3x3 kernels, 'same' padding. */
  convChannels: z.number().int().positive().default(32),
  convSize: z.number().int().positive().default(8),
  convDepth: z.number().int().min(2).max(100).default(20),
  batch: z.number().int().positive().default(64),
  /** Plain SGD steps after initialisation, measured after each (0 = init only). */
  steps: z.number().int().nonnegative().default(3),
  learningRate: z.number().positive().default(0.01),
});
export type InitActivationOptions = z.infer<typeof InitActivationOptions>;

/** relu-blowup: 784-30-10 softmax classifier on MNIST digits. */
export const ReluBlowupOptions = z.object({
  seed: z.number().int().default(1),
  engine: Engine,
  hidden: z.number().int().positive().default(30),
  trainSize: z.number().int().positive().default(5000),
  testSize: z.number().int().positive().default(2000),
  epochs: z.number().int().positive().default(3),
  batchSize: z.number().int().positive().default(10),
  activations: z.array(z.enum(['relu', 'tanh'])).default(['tanh', 'relu']),
  /** Plain SGD learning rates swept for each activation and init. */
  learningRates: z.array(z.number().positive()).default([0.1, 0.5, 1.5, 5]),
  inits: z.array(z.enum(['naive', 'he'])).default(['naive', 'he']),
  /** Std of the naive N(0, std^2) init (Nielsen's book uses 1). */
  naiveStd: z.number().positive().default(1),
  /** Remedies tried on every ReLU setting that diverged: L2 coefficient (loss += l2/2 * sum w^2) and global clip norm. */
  remedyL2: z.number().positive().default(0.01),
  remedyClip: z.number().positive().default(1),
  /**
   * A run counts as diverged when the loss or weights go non-finite, activations pass blowupActivation, the
   * weight norm grows past blowupWeightFactor x its initial value, or the last epoch's training cross-entropy is
   * no better than guessing uniformly (ln 10 = 2.30 nats).
   */
  blowupActivation: z.number().positive().default(1e4),
  blowupWeightFactor: z.number().positive().default(100),
  /** A run whose hidden units are at least this fraction dead (zero on every test digit) counts as failed. */
  deadFailFraction: z.number().min(0).max(1).default(0.5),
});
export type ReluBlowupOptions = z.infer<typeof ReluBlowupOptions>;

/** multi-loss: one trunk, several weighted heads. */
export const MultiLossOptions = z.object({
  seed: z.number().int().default(1),
  engine: Engine,
  inputs: z.number().int().positive().default(8),
  trunk: z.array(z.number().int().positive()).default([32, 16]),
  lossWeights: z.array(z.number().nonnegative()).min(2).max(3).default([1, 0.5, 0.1]),
  samples: z.number().int().positive().default(256),
  /** Adam steps on the combined loss, re-checking additivity every `checkEvery` steps. */
  steps: z.number().int().nonnegative().default(200),
  checkEvery: z.number().int().positive().default(20),
  learningRate: z.number().positive().default(0.01),
});
export type MultiLossOptions = z.infer<typeof MultiLossOptions>;

/** backprop-vs-gd: backpropagation against finite differences; deep linear nets against OLS. */
export const BackpropVsGdOptions = z.object({
  seed: z.number().int().default(1),
  /** Small net for the gradient check: inputs, hidden sizes. */
  inputs: z.number().int().positive().default(3),
  hidden: z.array(z.number().int().positive()).default([16, 16]),
  samples: z.number().int().positive().default(400),
  valSamples: z.number().int().positive().default(400),
  /** Central-difference step. Computed in float64, so 1e-5 balances truncation and rounding. */
  fdEpsilon: z.number().positive().default(1e-5),
  /** Full-batch gradient-descent steps for the linear and ReLU nets. */
  gdSteps: z.number().int().positive().default(4000),
  learningRate: z.number().positive().default(0.02),
  momentum: z.number().min(0).max(0.999).default(0.9),
  noiseStd: z.number().nonnegative().default(0.05),
});
export type BackpropVsGdOptions = z.infer<typeof BackpropVsGdOptions>;

/** deep-cnn-gradients: gradient flow through a deep CNN on the demo drive. */
export const DeepCnnGradientsOptions = z.object({
  seed: z.number().int().default(1),
  engine: Engine,
  activations: z.array(z.enum(['sigmoid', 'relu', 'elu'])).default(['sigmoid', 'relu', 'elu']),
  batchnorm: z.array(z.boolean()).default([false, true]),
  convLayers: z.number().int().min(2).max(30).default(10),
  channels: z.number().int().positive().default(8),
  /** Model input in pixels (small, so ten convs run in minutes on 2 cores). */
  height: z.number().int().positive().default(24),
  width: z.number().int().positive().default(48),
  /** Demo-drive frames (20 fps); the drive's first right-hand curve starts after about 1,000 frames. */
  frames: z.number().int().positive().default(1200),
  epochs: z.number().int().positive().default(4),
  batchSize: z.number().int().positive().default(32),
  learningRate: z.number().positive().default(1e-3),
  /** Record per-layer gradient norms every N steps (heatmap columns). */
  logEvery: z.number().int().positive().default(5),
  /** A user's video and labels instead of the synthetic demo drive. */
  video: z.string().optional(),
  labels: z.string().optional(),
  /** A whole data set spec instead (the app passes the open data set); excludes video/labels. */
  dataset: DriveDataset.optional(),
  workspace: z.string().optional(),
});
export type DeepCnnGradientsOptions = z.infer<typeof DeepCnnGradientsOptions>;

/** output-head: head x target transform on a steering data set. */
export const OutputHeadOptions = z.object({
  seed: z.number().int().default(1),
  engine: Engine,
  heads: z.array(z.enum(['linear', 'tanh', 'scaled_tanh'])).default(['linear', 'tanh', 'scaled_tanh']),
  targets: z.array(z.enum(['raw', 'normalized', 'standardized'])).default(['raw', 'normalized', 'standardized']),
  height: z.number().int().positive().default(33),
  width: z.number().int().positive().default(100),
  widthMultiplier: z.number().positive().default(0.5),
  /** Demo-drive frames (20 fps); the drive's first right-hand curve starts after about 1,000 frames. */
  frames: z.number().int().positive().default(1200),
  epochs: z.number().int().positive().default(6),
  batchSize: z.number().int().positive().default(32),
  learningRate: z.number().positive().default(1e-3),
  video: z.string().optional(),
  labels: z.string().optional(),
  /** A whole data set spec instead (the app passes the open data set); excludes video/labels. */
  dataset: DriveDataset.optional(),
  workspace: z.string().optional(),
});
export type OutputHeadOptions = z.infer<typeof OutputHeadOptions>;
