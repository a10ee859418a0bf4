import type { RunConfigInput } from '../../src/train/config.ts';

/** Slow enough (many small steps) that the parent can kill it mid-run. */
export const killConfig: RunConfigInput = {
  seed: 9, epochs: 4, batchSize: 8, logEvery: 5,
  model: { arch: 'mlp', input: { height: 1, width: 4, channels: 1 }, hidden: [16, 8], activation: 'elu', batchnorm: true, dropout: 0.1 },
  optimizer: { name: 'rmsprop', learningRate: 0.003 },
};
