/**
 * The "hard" preset of the lab-truth issue, on the synthetic drive at PilotNet's
 * 66x200: uncentred [0, 1] inputs, He-normal init on every layer including a
 * tanh head, Adam 1e-3. On a real drive that recipe saturated the head within
 * 10 steps and the comparison ranked it as the tanh head's accuracy. The test
 * checks that the old recipe still saturates here (so the check can fail), that
 * the failure is detected and named with its fix, and that the default recipe
 * (centred inputs, small head) does not saturate.
 */
import { describe, expect, it } from 'vitest';
import { buildComparison, type ComparableRun } from '../../src/experiments/compare.ts';
import { createRng } from '../../src/rng.ts';
import { createRenderer } from '../../src/synth/render.ts';
import { simulateDrive } from '../../src/synth/road.ts';
import { RunConfig, type RunConfigInput } from '../../src/train/config.ts';
import { arrayTrainingData } from '../../src/train/memory-data.ts';
import { trainRun } from '../../src/train/trainer.ts';

const [H, W, N] = [66, 200, 700];

function syntheticFrames(): { x: Float32Array; y: Float32Array } {
  const { profile, states } = simulateDrive(N, 20, 1);
  const renderer = createRenderer(W, H, 20, profile, createRng(2));
  const per = H * W * 3;
  const x = new Float32Array(N * per);
  const y = new Float32Array(N);
  const buf = new Uint8Array(per);
  states.forEach((s, i) => {
    renderer.render(i, s, buf);
    for (let p = 0; p < per; p++) x[i * per + p] = buf[p] / 255;
    y[i] = s.steeringDeg;
  });
  return { x, y };
}

describe('the saturating recipe (uncentred inputs + He-initialised tanh head)', () => {
  const { x, y } = syntheticFrames();
  const config = (model: RunConfigInput['model']): RunConfigInput => ({
    name: 'tanh/normalized', seed: 1, epochs: 1, batchSize: 32, engine: 'wasm', logEvery: 10,
    model: { input: { height: H, width: W, channels: 3 }, head: 'tanh', ...model }, targets: { kind: 'normalized' },
  });

  it('saturates the head within the first steps, and the comparison names it a training failure with the fix', async () => {
    const out = await trainRun({ config: config({ inputNorm: 'unit', headInit: 'he_normal', init: 'he_normal' }), data: arrayTrainingData(x, y, [H, W, 3], 0.2) });
    out.model.dispose();
    const sat = out.result.findings.find((f) => f.kind === 'saturated-head');
    expect(sat).toBeDefined();
    expect(sat!.step).toBeLessThanOrEqual(10);
    expect(Math.min(Math.abs(sat!.evidence.preMin), Math.abs(sat!.evidence.preMax))).toBeGreaterThan(2);
    const run: ComparableRun = { id: 'hard', state: 'complete', meta: null, config: RunConfig.parse(config({})), result: out.result, valPredictions: null };
    const c = buildComparison([run], { title: 'hard' });
    expect(c.cells[0].failed).toBe(true);
    const text = c.conclusions.join('\n');
    expect(text).toContain('tanh/normalized failed to train in 1 of 1 run: Saturated head:');
    expect(text).toContain("Fix: start the head small (model.headInit 'small'), centre the inputs (model.inputNorm 'centered')");
    expect(text).not.toMatch(/Lowest validation RMSE/);
  }, 120_000);

  it('the default recipe (centred inputs, small head) keeps the head out of saturation on the same frames', async () => {
    const out = await trainRun({ config: config({}), data: arrayTrainingData(x, y, [H, W, 3], 0.2) });
    out.model.dispose();
    expect(out.result.findings.map((f) => f.kind)).not.toContain('saturated-head');
    for (const snap of out.history.diagnostics) expect(snap.heads[0].saturatedFraction).toBeLessThan(0.5);
  }, 120_000);
});
