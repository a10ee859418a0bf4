import { describe, expect, it } from 'vitest';
import { concludeBackpropVsGd, runBackpropVsGd, type BackpropVsGdMeasurements } from '../../src/studies/backprop-vs-gd.ts';
import { backprop, collapseLinear, createMlp64, finiteDiffGrads, fitOls, predict } from '../../src/studies/mlp64.ts';
import { createRng } from '../../src/rng.ts';

describe('mlp64', () => {
  it('backprop matches central finite differences for relu, tanh and linear nets', () => {
    const rng = createRng(3);
    const n = 20;
    const X = Float64Array.from({ length: n * 2 }, () => rng.normal());
    const y = Float64Array.from({ length: n }, () => rng.normal());
    for (const act of ['tanh', 'linear', 'relu'] as const) {
      const net = createMlp64([2, 5, 4, 1], act, 'glorot_normal', rng.fork());
      const bp = backprop(net, X, y, n);
      const fd = finiteDiffGrads(net, X, y, n, 1e-6);
      bp.grads.forEach((g, l) => g.forEach((v, i) => expect(Math.abs(v - fd.grads[l][i])).toBeLessThan(1e-6 * Math.max(1, Math.abs(v)))));
      expect(fd.evaluations).toBe(2 * bp.grads.reduce((s, g) => s + g.length, 0));
    }
  });

  it('OLS recovers known coefficients and a linear net collapses to the product of its matrices', () => {
    const rng = createRng(5);
    const n = 50;
    const X = Float64Array.from({ length: n * 2 }, () => rng.normal());
    const y = Float64Array.from({ length: n }, (_, i) => 2 * X[i * 2] - 3 * X[i * 2 + 1] + 0.5);
    const ols = fitOls(X, y, n, 2);
    expect(ols.coef[0]).toBeCloseTo(2, 10);
    expect(ols.coef[1]).toBeCloseTo(-3, 10);
    expect(ols.intercept).toBeCloseTo(0.5, 10);
    const net = createMlp64([2, 3, 3, 1], 'linear', 'he_normal', rng.fork());
    net.b.forEach((b) => b.forEach((_, i) => (b[i] = rng.normal())));
    const { coef, intercept } = collapseLinear(net);
    const p = predict(net, X, n);
    for (let i = 0; i < n; i++) expect(p[i]).toBeCloseTo(intercept + coef[0] * X[i * 2] + coef[1] * X[i * 2 + 1], 10);
  });
});

describe('backprop-vs-gd study', () => {
  it('measures agreement with finite differences, the OLS collapse and the ReLU advantage', async () => {
    const m = await runBackpropVsGd({ samples: 80, valSamples: 80, hidden: [6, 6], gdSteps: 1500 });
    expect(m.gradRelError).toBeLessThan(1e-6);
    expect(m.finiteDiffEvaluations).toBe(2 * m.paramCount);
    expect(m.gdStep.lossAfterBackprop).toBeCloseTo(m.gdStep.lossAfterFiniteDiff, 8);
    expect(m.gdStep.lossAfterBackprop).toBeLessThan(m.gdStep.lossBefore);
    expect(m.linearNetVsOlsMaxCoefDiff).toBeLessThan(1e-3);
    expect(m.reluVsLinearValMse.linear).toBeCloseTo(m.reluVsLinearValMse.ols, 3);
    expect(m.reluVsLinearValMse.relu).toBeLessThan(m.reluVsLinearValMse.ols);
    const text = concludeBackpropVsGd(m).join(' ');
    expect(text).toContain('same gradient');
    expect(text).toContain('matches closed-form OLS');
  });

  it('conclusions follow the numbers', () => {
    const base: BackpropVsGdMeasurements = {
      paramCount: 10, gradCheckActivation: 'tanh', gradRelError: 1e-9, gradMaxAbsError: 1e-11, backpropMs: 1, finiteDiffMs: 40,
      backpropEvaluations: 2, finiteDiffEvaluations: 20, gdStep: { learningRate: 0.05, lossBefore: 2, lossAfterBackprop: 1, lossAfterFiniteDiff: 1 },
      linearNetVsOlsMaxCoefDiff: 1e-12, linearNetVsOlsInterceptDiff: 1e-12, linearNetVsOlsMaxPredDiff: 1e-12, linearNetCoef: [1], olsCoef: [1],
      reluVsLinearValMse: { relu: 0.01, linear: 0.5, ols: 0.5 }, trainCurves: { step: [], relu: [], linear: [] }, gdSteps: 100, gdLearningRate: 0.02, gdMomentum: 0.9,
    };
    const a = concludeBackpropVsGd(base);
    expect(a[0]).toContain('same gradient');
    expect(a[1]).toContain('40x faster');
    expect(a[4]).toContain('50x lower');
    const b = concludeBackpropVsGd({ ...base, gradRelError: 0.3, finiteDiffMs: 0.5, linearNetVsOlsMaxCoefDiff: 0.2, reluVsLinearValMse: { relu: 0.45, linear: 0.5, ols: 0.5 } });
    expect(b[0]).toContain('disagree');
    expect(b[0]).toContain('0.3');
    expect(b[1]).toContain('slower');
    expect(b[3]).toContain('has not converged');
    expect(b[4]).toContain('not clearly below');
    expect(concludeBackpropVsGd({ ...base, linearNetVsOlsMaxCoefDiff: NaN })[3]).toContain('diverged');
  });
});
