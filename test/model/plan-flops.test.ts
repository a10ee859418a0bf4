/**
 * FLOPs per sample from a model plan (the bench's effective GFLOP/s and the
 * worker planner use them), checked against PilotNet's layer sizes worked
 * out by hand.
 */
import { describe, expect, it } from 'vitest';
import { flopsOf } from '../../bench/flops.ts';
import { PILOTNET } from '../../bench/engines.ts';
import { planFlops } from '../../src/model/plan.ts';

describe('planFlops', () => {
  it('counts PilotNet multiply-adds layer by layer', () => {
    // Forward multiply-adds per sample: output positions x output channels x kernel taps x input channels.
    const convs = [31 * 98 * 24 * 5 * 5 * 3, 14 * 47 * 36 * 5 * 5 * 24, 5 * 22 * 48 * 5 * 5 * 36, 3 * 20 * 64 * 3 * 3 * 48, 1 * 18 * 64 * 3 * 3 * 64];
    const dense = [1152 * 100, 100 * 50, 50 * 10, 10 * 1];
    const fwd = [...convs, ...dense].reduce((a, b) => a + b, 0);
    expect(fwd).toBe(26_876_342);
    const f = flopsOf(PILOTNET);
    expect(f.forward).toBe(2 * fwd);
    // Weight gradients cost one forward pass, input gradients another, except for the first layer's input (the image).
    expect(f.train).toBe(2 * (3 * fwd - convs[0]));
  });

  it('charges auxiliary heads and skips nothing else', () => {
    const plan = {
      trunk: [{ kind: 'dense' as const, name: 'd1', inUnits: 4, outUnits: 3, activation: 'relu' as const }],
      head: { kind: 'head' as const, name: 'out', inUnits: 3, head: 'linear' as const, lossWeight: 1 },
      aux: [{ kind: 'head' as const, name: 'aux', inUnits: 3, head: 'linear' as const, after: 'd1', lossWeight: 0.3 }],
    };
    // 12 + 3 + 3 multiply-adds forward; the first layer's input gradient (12) is not needed.
    expect(planFlops(plan)).toEqual({ forward: 36, train: 2 * (3 * 18 - 12) });
  });

});
