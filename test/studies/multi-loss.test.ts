import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../src/engine/index.ts';
import { concludeMultiLoss, runMultiLoss, type MultiLossMeasurements } from '../../src/studies/multi-loss.ts';

beforeAll(async () => {
  await initEngine('cpu');
});

describe('multi-loss study', () => {
  it('trunk gradient equals the sum of weighted per-head gradients; shares add up to 1', async () => {
    const m = await runMultiLoss({ engine: 'cpu', samples: 48, trunk: [12, 8], steps: 10, checkEvery: 5 });
    expect(m.additivityMaxAbsError).toBeLessThan(1e-5);
    expect(m.heads.map((h) => h.name)).toEqual(['steer', 'speed', 'lane']);
    expect(m.heads.reduce((s, h) => s + h.gradShare, 0)).toBeCloseTo(1, 4);
    for (const h of m.heads) expect(h.weightedLoss).toBeCloseTo(h.lossWeight * h.rawLoss, 6);
    expect(m.history.step).toEqual([0, 5, 10]);
    // Training on the combined loss lowers the total weighted loss.
    const tot = (i: number) => m.history.weightedLoss[i].reduce((a, b) => a + b, 0);
    expect(tot(2)).toBeLessThan(tot(0));
  });

  it('a zero loss weight gives that head no share of the trunk gradient', async () => {
    const m = await runMultiLoss({ engine: 'cpu', samples: 32, trunk: [8], lossWeights: [1, 0], steps: 0 });
    expect(m.heads[1].gradShare).toBe(0);
    expect(m.heads[0].gradShare).toBeCloseTo(1, 5);
  });

  it('conclusions follow the numbers', () => {
    const head = (name: string, lossWeight: number, gradShare: number, cos: number) => ({ name, lossWeight, rawLoss: 1, weightedLoss: lossWeight, gradShare, weightedGradNorm: 1, cosineWithTotal: cos });
    const m: MultiLossMeasurements = {
      engine: 'cpu', additivityMaxAbsError: 3e-8, additivityRelError: 1e-6, trunkGradNorm: 1,
      heads: [head('steer', 1, 0.7, 0.9), head('speed', 0.5, 0.3, 0.5)],
      history: { step: [0], rawLoss: [[1, 1]], weightedLoss: [[1, 0.5]], gradShare: [[0.7, 0.3]], additivityMaxAbsError: [3e-8] },
    };
    const a = concludeMultiLoss(m);
    expect(a[0]).toContain('equals the sum');
    expect(a[1]).toContain('steer drives');
    expect(a.join(' ')).not.toContain('against the total');
    const b = concludeMultiLoss({ ...m, additivityMaxAbsError: 0.01, heads: [head('steer', 1, -0.2, -0.3), head('speed', 0.5, 1.2, 0.9)] });
    expect(b[0]).toContain('differs');
    expect(b[1]).toContain('speed drives');
    expect(b.join(' ')).toContain('does not give the largest share');
    expect(b.join(' ')).toContain('steer pulls the trunk against the total gradient (cosine -0.3)');
  });
});
