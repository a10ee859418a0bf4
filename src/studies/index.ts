/**
 * The registry of lab studies. Light to import (zod only): each entry has its
 * name, title, description, default and quick options; `load()` imports the
 * study's code (TensorFlow.js) only when it runs. The CLI (`steerlab study`)
 * and the app's Experiment presets both read this list.
 */
import type { z } from 'zod';
import {
  BackpropVsGdOptions, DeepCnnGradientsOptions, InitActivationOptions, MultiLossOptions, OutputHeadOptions, ReluBlowupOptions,
} from './options.ts';
import { UserError } from '../errors.ts';
import type { StudyContext } from './types.ts';

export type { StudyContext, StudyProgress } from './types.ts';

/** A loaded study: runs and concludes. Measurements are plain JSON numbers/arrays. */
export interface StudyImpl {
  run(opts: Record<string, unknown>, ctx: StudyContext): Promise<object>;
  conclude(measurements: object): string[];
}

export interface StudyEntry {
  name: string;
  title: string;
  description: string;
  /** Options schema (zod, with every default). */
  schema: z.ZodType<Record<string, unknown>>;
  /** The full defaults, as plain JSON (what a preset shows). */
  defaults: Record<string, unknown>;
  /** Overrides for a fast smoke run (tests, `--quick`). */
  quick: Record<string, unknown>;
  /** Top-level keys of the measurement object (besides `conclusions`). */
  keys: string[];
  load(): Promise<StudyImpl>;
}

function entry<S extends z.ZodType<Record<string, unknown>>>(e: Omit<StudyEntry, 'defaults' | 'schema'> & { schema: S }): StudyEntry {
  return { ...e, schema: e.schema, defaults: e.schema.parse({}) };
}

const as = <M>(run: (o: never, c: StudyContext) => Promise<M>, conclude: (m: M) => string[]): StudyImpl => ({
  run: run as unknown as StudyImpl['run'],
  conclude: conclude as unknown as StudyImpl['conclude'],
});

export const STUDIES: readonly StudyEntry[] = [
  entry({
    name: 'init-activation',
    title: 'Initialisation x activation: signal propagation',
    description:
      'Plain deep nets (dense and convolutional, up to 50 layers) at initialisation and over the first SGD steps: per-layer activation std and gradient norm for He, Glorot, LeCun and N(0, 0.01) x relu, tanh, sigmoid, elu, beside the variance theory predicts (He: Var[w] = 2/fan_in keeps ReLU activations at scale).',
    schema: InitActivationOptions,
    quick: { depth: 10, width: 32, convDepth: 6, convChannels: 4, convSize: 6, batch: 16, steps: 1 },
    keys: ['layers', 'engine'],
    load: async () => {
      const m = await import('./init-activation.ts');
      return as(m.runInitActivation, m.concludeInitActivation);
    },
  }),
  entry({
    name: 'relu-blowup',
    title: 'ReLU blow-up on MNIST (784-30-10)',
    description:
      'The 784-30-10 softmax classifier on MNIST digits with tanh vs ReLU hidden units, a plain-SGD learning-rate sweep, He vs naive N(0, 1) init, and L2 weight decay and gradient clipping tried where ReLU diverges: accuracy, max activation and weight norm per epoch.',
    schema: ReluBlowupOptions,
    // Naive N(0, 0.5^2) init only: at lr 1.5 most ReLUs die while tanh still trains (seeds 1-3, about 3 s on cpu);
    // lr 0.05 and 3 made both fail (slow and diverged), which said the opposite of what the study is for.
    quick: { trainSize: 500, testSize: 200, epochs: 2, learningRates: [0.3, 1.5], inits: ['naive'], naiveStd: 0.5, batchSize: 20 },
    keys: ['runs', 'engine'],
    load: async () => {
      const m = await import('./relu-blowup.ts');
      return as(m.runReluBlowup, m.concludeReluBlowup);
    },
  }),
  entry({
    name: 'multi-loss',
    title: 'Several loss heads on one trunk',
    description:
      "A shared trunk with two or three weighted heads: each head's raw and weighted loss, a numerical check that the trunk's gradient equals the sum of the weighted per-head gradients, and each head's share of it.",
    schema: MultiLossOptions,
    quick: { samples: 64, steps: 20, checkEvery: 10 },
    keys: ['additivityMaxAbsError', 'heads', 'engine'],
    load: async () => {
      const m = await import('./multi-loss.ts');
      return as(m.runMultiLoss, m.concludeMultiLoss);
    },
  }),
  entry({
    name: 'deep-cnn-gradients',
    title: 'Gradient flow in a deep CNN',
    description:
      'A deep CNN (about ten conv layers) with sigmoid, ReLU and ELU, with and without batchnorm, trained on the demo drive: per-layer gradient-norm heatmaps over steps and validation MAE in degrees.',
    schema: DeepCnnGradientsOptions,
    quick: { convLayers: 4, channels: 4, height: 12, width: 24, frames: 400, epochs: 1, batchSize: 16 },
    keys: ['runs', 'engine'],
    load: async () => {
      const m = await import('./deep-cnn-gradients.ts');
      return as(m.runDeepCnnGradients, m.concludeDeepCnnGradients);
    },
  }),
  entry({
    name: 'output-head',
    title: 'Output head x target scaling',
    description:
      'Linear, tanh and scaled-tanh heads x raw, normalised and standardised targets on the demo drive (or your video and labels), same seed and split: validation MAE in degrees beside the zero and mean baselines, head saturation, gradient norms and epochs to reach 2x the best MAE.',
    schema: OutputHeadOptions,
    quick: { heads: ['linear', 'tanh'], targets: ['raw', 'normalized'], height: 16, width: 48, widthMultiplier: 0.25, frames: 400, epochs: 2 },
    keys: ['runs', 'baselines', 'engine'],
    load: async () => {
      const m = await import('./output-head.ts');
      return as(m.runOutputHead, m.concludeOutputHead);
    },
  }),
  entry({
    name: 'backprop-vs-gd',
    title: 'Is backpropagation just gradient descent?',
    description:
      'On a small net: backprop gradients against central finite differences (error and cost), the gradient-descent step that uses them, and a net with linear hidden layers collapsing to the closed-form OLS fit while the ReLU net fits what OLS cannot.',
    schema: BackpropVsGdOptions,
    quick: { samples: 100, valSamples: 100, hidden: [8, 8], gdSteps: 1500 },
    keys: ['gradRelError', 'backpropMs', 'finiteDiffMs', 'linearNetVsOlsMaxCoefDiff', 'reluVsLinearValMse'],
    load: async () => {
      const m = await import('./backprop-vs-gd.ts');
      return as(m.runBackpropVsGd, m.concludeBackpropVsGd);
    },
  }),
];

/** The entry with this name, or undefined. */
export function findStudy(name: string): StudyEntry | undefined {
  return STUDIES.find((s) => s.name === name);
}

/**
 * Runs a study by name: validates options (defaults, then `quick` when asked,
 * then the caller's overrides), runs it, and returns its measurements with the
 * conclusions computed from them.
 */
export async function runStudy(
  name: string,
  overrides: Record<string, unknown>,
  o: StudyContext & { quick?: boolean } = {},
): Promise<Record<string, unknown> & { conclusions: string[] }> {
  const e = findStudy(name);
  if (!e) throw new UserError(`unknown study '${name}' (known: ${STUDIES.map((s) => s.name).join(', ')})`);
  const opts = e.schema.parse({ ...(o.quick ? e.quick : {}), ...overrides });
  const impl = await e.load();
  const measurements = await impl.run(opts, { signal: o.signal, onProgress: o.onProgress });
  return { ...(measurements as Record<string, unknown>), conclusions: impl.conclude(measurements) };
}
