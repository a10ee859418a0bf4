/** planWorkers: who gets worker threads, and the reason given (numbers from the model's own plan). */
import { describe, expect, it } from 'vitest';
import { AUTO_MIN_MFLOP_PER_STEP, AUTO_MIN_STEPS, engineLabel, forwardMflopPerSample, planWorkers } from '../../src/engine/workers.ts';
import { ModelConfig } from '../../src/model/config.ts';

const demo = ModelConfig.parse({ input: { height: 33, width: 100, channels: 3 }, widthMultiplier: 0.5 });
const full = ModelConfig.parse({});
const at = (model: ModelConfig, o: Partial<{ engine: string; batchSize: number; cores: number; plannedSteps: number }> = {}) => ({
  engine: 'wasm', model, batchSize: 32, cores: 2, ...o,
});

describe('forwardMflopPerSample', () => {
  it('counts PilotNet 66x200 by hand: 2 x multiply-adds of its five convs and four dense layers', () => {
    // conv1 31x98x24 (5x5x3), conv2 14x47x36 (5x5x24), conv3 5x22x48 (5x5x36), conv4 3x20x64 (3x3x48), conv5 1x18x64 (3x3x64),
    // dense 1152x100, 100x50, 50x10, head 10x1.
    const macs = 31 * 98 * 24 * 75 + 14 * 47 * 36 * 600 + 5 * 22 * 48 * 900 + 3 * 20 * 64 * 432 + 1 * 18 * 64 * 576 + 1152 * 100 + 100 * 50 + 50 * 10 + 10;
    expect(forwardMflopPerSample(full)).toBeCloseTo((2 * macs) / 1e6, 6);
    expect(forwardMflopPerSample(full)).toBeCloseTo(53.75, 2); // the README's bench section rounds it to 54 MFLOP forward
  });
});

describe('planWorkers', () => {
  it('auto: full PilotNet on 2 cores gets 2 workers; the demo net stays in-process with its numbers', () => {
    expect(planWorkers('auto', at(full))).toMatchObject({ workers: 2 });
    const d = planWorkers('auto', at(demo));
    expect(d.workers).toBe(1);
    const mflop = Math.round(forwardMflopPerSample(demo) * 32);
    expect(mflop).toBeLessThan(AUTO_MIN_MFLOP_PER_STEP);
    expect(d.reason).toContain(`${mflop} MFLOP`);
  });

  it('auto: one core, a short run, or a tiny batch stay in-process; many cores are capped', () => {
    expect(planWorkers('auto', at(full, { cores: 1 })).workers).toBe(1);
    const short = planWorkers('auto', at(full, { plannedSteps: AUTO_MIN_STEPS - 1 }));
    expect(short.workers).toBe(1);
    expect(short.reason).toMatch(/start-up/);
    expect(planWorkers('auto', at(full, { plannedSteps: AUTO_MIN_STEPS })).workers).toBe(2);
    expect(planWorkers('auto', at(full, { batchSize: 4 })).workers).toBe(1);
    expect(planWorkers('auto', at(full, { cores: 64 })).workers).toBe(4);
  });

  it('an explicit count is honoured for wasm, up to shards of 4 samples', () => {
    expect(planWorkers(2, at(demo)).workers).toBe(2);
    expect(planWorkers(1, at(full)).workers).toBe(1);
    const capped = planWorkers(8, at(demo, { batchSize: 8 }));
    expect(capped.workers).toBe(2);
    expect(capped.reason).toMatch(/at most 2 shards/);
  });

  it('never for batchnorm, dropout or other engines, even when asked', () => {
    expect(planWorkers(2, at(ModelConfig.parse({ batchnorm: true }))).reason).toMatch(/batchnorm/);
    expect(planWorkers(2, at(ModelConfig.parse({ dropout: 0.3 }))).reason).toMatch(/dropout/);
    const tf = planWorkers(2, at(full, { engine: 'tensorflow' }));
    expect(tf.workers).toBe(1);
    expect(tf.reason).toMatch(/tensorflow/);
    expect(() => planWorkers(0, at(full))).toThrow(/whole number/);
    expect(() => planWorkers(1.5, at(full))).toThrow(/whole number/);
  });

  it('labels engines for records', () => {
    expect(engineLabel('wasm', 2)).toBe('wasm x2 workers');
    expect(engineLabel('wasm', 1)).toBe('wasm');
  });
});
