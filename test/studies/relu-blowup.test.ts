import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../src/engine/index.ts';
import { createRng } from '../../src/rng.ts';
import { loadMnist } from '../../src/studies/mnist-data.ts';
import { concludeReluBlowup, runReluBlowup, type ReluBlowupMeasurements, type ReluRun } from '../../src/studies/relu-blowup.ts';

beforeAll(async () => {
  await initEngine('cpu');
});

describe('MNIST digits from the mnist package', () => {
  it('loads a deterministic, class-balanced, disjoint split', () => {
    const a = loadMnist(300, 100, createRng(1));
    const b = loadMnist(300, 100, createRng(1));
    expect(a.train.n).toBe(300);
    expect(a.test.n).toBe(100);
    expect(Array.from(a.train.labels)).toEqual(Array.from(b.train.labels));
    expect(a.train.x.every((v) => v >= 0 && v <= 1)).toBe(true);
    const counts = new Array(10).fill(0);
    a.train.labels.forEach((l) => counts[l]++);
    expect(Math.min(...counts)).toBeGreaterThan(10);
    a.train.labels.forEach((l, i) => expect(a.train.y[i * 10 + l]).toBe(1));
  });
});

describe('relu-blowup study', () => {
  it('trains tanh and ReLU nets; a large learning rate breaks ReLU and triggers remedy runs', async () => {
    const m = await runReluBlowup({ engine: 'cpu', trainSize: 400, testSize: 150, epochs: 2, batchSize: 20, learningRates: [0.1, 8], inits: ['he'] });
    const get = (act: string, lr: number, role = 'sweep') => m.runs.find((r) => r.activation === act && r.lr === lr && r.role === role)!;
    expect(get('tanh', 0.1).maxActivation).toBeLessThanOrEqual(1);
    expect(get('relu', 0.1).failure).toBeNull();
    expect(get('relu', 0.1).testAccuracy).toBeGreaterThan(0.5);
    expect(get('relu', 8).failure).not.toBeNull();
    expect(m.runs.filter((r) => r.role !== 'sweep').map((r) => r.role).sort()).toEqual(['clip', 'l2', 'l2+clip']);
    const text = concludeReluBlowup(m).join('\n');
    expect(text).toContain('relu, he init');
    expect(text).toContain('Remedies at ReLU, he init, lr 8');
  }, 120_000);

  it('conclusions follow the numbers', () => {
    const run = (p: Partial<ReluRun>): ReluRun => ({
      activation: 'relu', lr: 1, l2: 0, clip: null, init: 'he', role: 'sweep', diverged: false, divergedEpoch: null, failure: null, divergedBy: null,
      initialWeightNorm: 8, finalTrainLoss: 0.3, testAccuracy: 0.9, maxActivation: 5, maxWeightNorm: 10, deadFraction: 0, epochs: [], ...p,
    });
    const base: ReluBlowupMeasurements = { engine: 'cpu', trainSize: 10, testSize: 10, epochsPerRun: 1, blowupActivation: 1e4, blowupWeightFactor: 100, runs: [run({ activation: 'tanh', maxActivation: 1 }), run({})] };
    const a = concludeReluBlowup(base).join('\n');
    expect(a).toContain('No learning rate failed');
    expect(a).toContain('No ReLU run failed');
    const broken = run({ diverged: true, divergedEpoch: 1, failure: 'diverged', divergedBy: 'weight-norm', maxWeightNorm: 5000, testAccuracy: 0.1 });
    const fixed = run({ role: 'clip', clip: 1, testAccuracy: 0.85 });
    const still = run({ role: 'l2', l2: 0.01, diverged: true, divergedEpoch: 1, failure: 'diverged', divergedBy: 'non-finite' });
    const b = concludeReluBlowup({ ...base, runs: [run({ activation: 'tanh', maxActivation: 1 }), broken, fixed, still] }).join('\n');
    expect(b).toContain('First failure at lr 1');
    expect(b).toContain('weight norm 8 -> 5000');
    expect(b).toContain('ReLU failed where tanh trained');
    expect(b).toContain('What stopped it: clip');
    expect(b).toContain('l2 (L2 0.01, clip off) still failed');
  });
});
