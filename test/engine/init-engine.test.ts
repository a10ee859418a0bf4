import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initEngine } from '../../src/engine/index.ts';

describe('initEngine', () => {
  it('serialises overlapping activations: each caller gets the engine it asked for, and tf works after both', async () => {
    // Started together (as the app's page-load info request and a study can be): without serialising,
    // the second switch interleaved with the first and left tfjs on a half-initialised backend.
    const [a, b] = await Promise.all([initEngine('cpu'), initEngine('wasm')]);
    expect(a.name).toBe('cpu');
    expect(b.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    const y = tf.sum(tf.mul(tf.tensor1d([1, 2, 3]), 2));
    expect(y.dataSync()[0]).toBe(12);
    // Asking again for what is active returns at once with the same record.
    expect(await initEngine('wasm')).toBe(b);
  });
});
