/** The bench's wasm convolution-kernel probe (its FLOP counts are tested in test/model/plan-flops.test.ts). */
import { describe, expect, it } from 'vitest';
import { measureConvKernel } from '../../bench/flops.ts';
import { initEngine } from '../../src/engine/index.ts';

describe('bench convolution-kernel speed', () => {
  it('measures a positive, finite speed on the wasm engine and says what it timed', async () => {
    await initEngine('wasm');
    const g = await measureConvKernel(1, 1);
    expect(g.what).toContain('batch 1');
    expect(Number.isFinite(g.gflops)).toBe(true);
    expect(g.gflops).toBeGreaterThan(0);
  });
});
