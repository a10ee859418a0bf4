/** The bench's wasm GEMM ceiling probe (its FLOP counts are tested in test/model/plan-flops.test.ts). */
import { describe, expect, it } from 'vitest';
import { measureGemmCeiling } from '../../bench/flops.ts';
import { initEngine } from '../../src/engine/index.ts';

describe('bench GEMM ceiling', () => {
  it('measures a positive, finite GEMM speed on the wasm engine', async () => {
    await initEngine('wasm');
    const g = await measureGemmCeiling(64, 2);
    expect(g.n).toBe(64);
    expect(Number.isFinite(g.gflops)).toBe(true);
    expect(g.gflops).toBeGreaterThan(0);
  });
});
