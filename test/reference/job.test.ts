/**
 * The job builder of the PyTorch reference (pure): conv padding made
 * explicit, the plan serialised, input normalisation, the target transform
 * (recomputed and checked against the saved one), frame positions.
 */
import { describe, expect, it } from 'vitest';
import { ModelConfig } from '../../src/model/config.ts';
import { planModel } from '../../src/model/plan.ts';
import { inputNormOf, jobDataset, jobModel, jobRun, jobTransform, positionsOf, recordSamples, samePad } from '../../src/reference/job.ts';
import { RunConfig } from '../../src/train/config.ts';

describe('samePad (TensorFlow "same": output ceil(in / stride), the odd pixel after)', () => {
  it('matches hand-computed pads', () => {
    expect(samePad(9, 5, 2)).toEqual([2, 2]); // out 5: (5-1)*2 + 5 - 9 = 4
    expect(samePad(10, 5, 2)).toEqual([1, 2]); // out 5: 8 + 5 - 10 = 3
    expect(samePad(2, 5, 2)).toEqual([1, 2]); // out 1: 0 + 5 - 2 = 3
    expect(samePad(1, 3, 1)).toEqual([1, 1]);
    expect(samePad(12, 3, 3)).toEqual([0, 0]); // out 4: 9 + 3 - 12 = 0
  });
});

describe('jobModel', () => {
  const cfg = ModelConfig.parse({ input: { height: 20, width: 60 }, widthMultiplier: 0.25, head: 'scaled_tanh', headScale: 3, batchnorm: true, dropout: 0.2, auxHeads: [{ after: 'conv2', lossWeight: 0.3 }] });
  const m = jobModel(cfg);

  it('keeps every layer of the plan with its geometry, and pads the "same" fallbacks explicitly', () => {
    const plan = planModel(cfg);
    expect(m.trunk.map((l) => l.name)).toEqual(plan.trunk.map((l) => l.name));
    // 20x60 -> conv1 8x28 -> conv2 2x12 (valid); conv3 (5x5 on 2x12, stride 2) falls back to 'same': 1x6 with pads [1,2,1,2].
    expect(m.trunk.slice(0, 5).map((l) => (l.kind === 'conv' ? [l.outH, l.outW, l.outC, ...l.pad] : null))).toEqual([
      [8, 28, 6, 0, 0, 0, 0], [2, 12, 9, 0, 0, 0, 0], [1, 6, 12, 1, 2, 1, 2], [1, 6, 16, 1, 1, 1, 1], [1, 6, 16, 1, 1, 1, 1],
    ]);
    expect(m.trunk.slice(5)).toEqual([
      { kind: 'dense', name: 'dense1', inUnits: 96, outUnits: 25, activation: 'elu' },
      { kind: 'dense', name: 'dense2', inUnits: 25, outUnits: 13, activation: 'elu' },
      { kind: 'dense', name: 'dense3', inUnits: 13, outUnits: 3, activation: 'elu' },
    ]);
    expect(m.head).toEqual({ name: 'head', head: 'scaled_tanh', inUnits: 3, lossWeight: 1 });
    expect(m.aux).toEqual([{ name: 'aux_conv2', head: 'linear', inUnits: 2 * 12 * 9, lossWeight: 0.3, after: 'conv2' }]);
    expect([m.headScale, m.batchnorm, m.dropout]).toEqual([3, true, 0.2]);
  });

  it('pads every conv output to the size the plan states', () => {
    for (const l of m.trunk) {
      if (l.kind !== 'conv') continue;
      expect(Math.floor((l.inH + l.pad[0] + l.pad[1] - l.kernel) / l.stride) + 1).toBe(l.outH);
      expect(Math.floor((l.inW + l.pad[2] + l.pad[3] - l.kernel) / l.stride) + 1).toBe(l.outW);
    }
  });
});

describe('inputNormOf', () => {
  it("pilotnet: the config's field, absent = centred; mlp: features as given", () => {
    expect(inputNormOf(ModelConfig.parse({}))).toBe('centered');
    expect(inputNormOf(ModelConfig.parse({ inputNorm: 'unit' }))).toBe('unit');
    const { inputNorm: _drop, ...old } = ModelConfig.parse({}) as ModelConfig & { inputNorm?: string };
    expect(inputNormOf(old as ModelConfig)).toBe('centered');
    expect(inputNormOf(ModelConfig.parse({ arch: 'mlp' }))).toBe('unit');
  });
});

describe('jobTransform (degrees = scale * output + offset)', () => {
  const angles = Float32Array.of(-30, 10, NaN, 50);
  it('standardized: offset = training mean, scale = population std (NaN skipped)', () => {
    const t = jobTransform({ kind: 'standardized' }, angles, null, 'x');
    const mean = 10;
    const std = Math.sqrt((40 ** 2 + 0 + 40 ** 2) / 3);
    expect(t.offset).toBeCloseTo(mean, 12);
    expect(t.scale).toBeCloseTo(std, 12);
    expect(t.kind).toBe('standardized');
  });
  it('normalized: scale = max |angle| of the training split; raw: identity', () => {
    expect(jobTransform({ kind: 'normalized' }, angles, null, 'x')).toMatchObject({ scale: 50, offset: 0, params: { fullScaleDeg: 50 } });
    expect(jobTransform({ kind: 'raw' }, angles, null, 'x')).toMatchObject({ scale: 1, offset: 0 });
  });
  it('agrees with a saved transform, and refuses one from another split naming its file', () => {
    const saved = { kind: 'normalized', params: { fullScaleDeg: 50 }, degrees: { scale: 50, offset: 0 }, formula: 'degrees = 50 * output + 0' };
    expect(jobTransform({ kind: 'normalized' }, angles, saved, '/r/model/target-transform.json').scale).toBe(50);
    const other = { ...saved, degrees: { scale: 45, offset: 0 }, formula: 'degrees = 45 * output + 0' };
    expect(() => jobTransform({ kind: 'normalized' }, angles, other, '/r/model/target-transform.json')).toThrow(/\/r\/model\/target-transform.json says degrees = 45/);
  });
});

describe('frame records and positions', () => {
  it('one record per sample used, ascending; positions index them; NaN angles become null', () => {
    const records = recordSamples([Int32Array.of(5, 1, 9), Int32Array.of(3, 4), Int32Array.of(4, 5)]);
    expect(Array.from(records)).toEqual([1, 3, 4, 5, 9]);
    expect(positionsOf(records, [5, 1, 9])).toEqual([3, 0, 4]);
    expect(() => positionsOf(records, [2])).toThrow(/sample 2/);
    const angles = Float32Array.from({ length: 10 }, (_, i) => i * 10);
    angles[4] = NaN;
    const d = jobDataset({ path: '/f.u8', height: 2, width: 3, records }, { trainIndices: [5, 1, 9], valIndices: [3, 4] }, angles);
    expect(d).toEqual({
      framesPath: '/f.u8', height: 2, width: 3, channels: 3, records: 5,
      trainPositions: [3, 0, 4], trainAnglesDeg: [50, 10, 90], valPositions: [1, 2], valAnglesDeg: [30, null],
    });
  });
});

describe('jobRun', () => {
  it('carries the run recipe as the lab ran it', () => {
    const cfg = RunConfig.parse({
      seed: 7, epochs: 3, batchSize: 8, maxStepsPerEpoch: 5, model: { l2: 1e-4, input: { height: 20, width: 60 }, inputNorm: 'unit' },
      optimizer: { name: 'sgd', learningRate: 0.01, momentum: 0.5, schedule: 'cosine', warmupSteps: 2, lrMin: 1e-4, clipNorm: 1 },
      augment: { flip: true, shiftPx: 2, shiftDegPerPx: 1.5, brightness: 0.1, contrast: 0 },
    });
    const t = { kind: 'raw', params: {}, scale: 1, offset: 0 };
    const r = jobRun('run-a', cfg, 0, t);
    expect(r).toMatchObject({ runId: 'run-a', dataset: 0, seed: 7, epochs: 3, batchSize: 8, maxStepsPerEpoch: 5, l2: 1e-4, inputNorm: 'unit', transform: t, validateEveryEpoch: true });
    expect(r.optimizer).toEqual(cfg.optimizer);
    expect(r.augment).toEqual(cfg.augment);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });
});
