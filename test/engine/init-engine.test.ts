import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initEngine } from '../../src/engine/index.ts';

describe('initEngine', () => {
  it('does not hand out its cached engine after tfjs was switched behind its back', async () => {
    const wasm = await initEngine('wasm');
    await tf.setBackend('cpu');
    const again = await initEngine('wasm');
    expect(again.name).toBe('wasm');
    expect(tf.getBackend()).toBe(wasm.backend);
  });

  it('serialises overlapping activations: all callers get a working engine, and tf works after them', async () => {
    // Started together (as the app's page-load info request and a study can be). Without the queue the
    // overlapping wasm activations failed with "the wasm backend did not initialise".
    const [a, b, c] = await Promise.all([initEngine('wasm'), initEngine('auto'), initEngine('cpu').then(() => initEngine('wasm'))]);
    expect([a.name, b.name, c.name]).toEqual(['wasm', 'wasm', 'wasm']);
    expect(tf.getBackend()).toBe('wasm');
    const y = tf.sum(tf.mul(tf.tensor1d([1, 2, 3]), 2));
    expect(y.dataSync()[0]).toBe(12);
    // Asking again for what is active returns the same record.
    expect(await initEngine('wasm')).toBe(c);
  });
});
