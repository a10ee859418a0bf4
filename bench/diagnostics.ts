/**
 * What per-layer diagnostics cost: CORE's trainRun on PilotNet (batch 32,
 * in-process engine) with diagnostics at every step, every 10 steps, and
 * only at step 0 ("off"), same data and steps, each run six times (best
 * kept). Ratios of training time. This machine's speed drifts by up to 1.5x
 * over minutes; with two runs each, the every-10 ratio (a true cost near
 * 1.01) read anywhere from 0.94 to 1.17, and 1.23 once with four.
 *
 * Timing: process CPU time from the step-0 diagnostics event (after model
 * build and the first step) to the end of the run (in-process training is
 * single-threaded, so CPU time is its work, without waits for a busy core). That span also holds the run's one
 * validation pass (32 samples, one forward batch) in all three runs, which
 * dilutes the ratios slightly.
 */
import type { EngineName } from '../src/engine/index.ts';
import { arrayTrainingData } from '../src/train/memory-data.ts';
import { trainRun } from '../src/train/trainer.ts';
import { createRng } from '../src/rng.ts';
import { BATCH, PILOTNET } from './engines.ts';

export interface DiagnosticsOverhead {
  steps: number;
  /** Step time with diagnostics every step / without. Target 1.25. */
  everyStep: number;
  /** Every 10 steps / without. Target 1.05. */
  every10: number;
  /** CPU seconds for the timed steps: off, every 10, every step. */
  secondsOff: number;
  secondsEvery10: number;
  secondsEveryStep: number;
}

async function timedRun(engine: EngineName, steps: number, logEvery: number, x: Float32Array, y: Float32Array): Promise<number> {
  const data = arrayTrainingData(x, y, [66, 200, 3], BATCH / y.length);
  let t0 = 0;
  let c0 = process.cpuUsage();
  const outcome = await trainRun({
    config: { model: PILOTNET, epochs: 1, batchSize: BATCH, maxStepsPerEpoch: steps + 1, logEvery, engine, seed: 1 },
    data,
    onEvent: (e) => {
      if (e.type === 'diagnostics' && e.snapshot.step === 0) {
        t0 = performance.now();
        c0 = process.cpuUsage();
      }
    },
  });
  const c = process.cpuUsage(c0);
  // CPU seconds of this (single-threaded, in-process) training: robust to other work on the machine,
  // which only slows wall time. Wall time would include waiting for a core.
  const s = (c.user + c.system) / 1e6;
  outcome.model.dispose();
  if (outcome.result.status !== 'completed' && outcome.result.status !== 'stopped-early') {
    throw new Error(`diagnostics benchmark run ended ${outcome.result.status}: ${outcome.result.error ?? ''}`);
  }
  if (t0 === 0) throw new Error('the trainer reported no step-0 diagnostics');
  return s;
}

export async function measureDiagnosticsOverhead(engine: EngineName, steps: number): Promise<DiagnosticsOverhead> {
  const n = BATCH * (steps + 1) + BATCH;
  const rng = createRng(5);
  const x = new Float32Array(n * 66 * 200 * 3);
  for (let i = 0; i < x.length; i++) x[i] = rng.next();
  const y = Float32Array.from({ length: n }, () => (rng.next() * 2 - 1) * 20);
  // Warm-up run: the first run pays module loading and wasm compilation.
  await timedRun(engine, 2, 1000, x.subarray(0, 4 * BATCH * 66 * 200 * 3), y.subarray(0, 4 * BATCH));
  // Order (A B C C B A) x 3, best of six each: a drift in machine speed then biases no setting.
  const settings = [steps + 10, 10, 1];
  const round = [...settings, ...[...settings].reverse()];
  const best = new Map<number, number>();
  for (const every of [...round, ...round, ...round]) {
    const s = await timedRun(engine, steps, every, x, y);
    best.set(every, Math.min(best.get(every) ?? Infinity, s));
  }
  const off = best.get(steps + 10)!;
  const every10 = best.get(10)!;
  const everyStep = best.get(1)!;
  return { steps, everyStep: everyStep / off, every10: every10 / off, secondsOff: off, secondsEvery10: every10, secondsEveryStep: everyStep };
}
