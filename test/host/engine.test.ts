/**
 * The backend's single engine initialisation: app.info on page load and a
 * study or experiment started at the same moment must share one
 * initEngine() (two in flight leave tfjs with a half-switched backend).
 */
import { describe, expect, it } from 'vitest';
import { engineReady } from '../../src/host/backend/engine.ts';

describe('engineReady', () => {
  it('gives every concurrent caller the same initialisation, and tfjs computes on it', async () => {
    const a = engineReady();
    const b = engineReady();
    expect(b).toBe(a);
    const [ea, eb] = await Promise.all([a, b]);
    expect(eb).toBe(ea);
    const tf = await import('@tensorflow/tfjs-core');
    expect(tf.getBackend()).toBe(ea.backend);
    // 1 + 2 + ... + 100 = 5050, on the engine that was chosen.
    const sum = tf.tidy(() => tf.sum(tf.range(1, 101)).dataSync()[0]);
    expect(sum).toBe(5050);
    expect(engineReady()).toBe(a); // later callers reuse it
  });
});
