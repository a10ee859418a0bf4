/**
 * Training and inference speed of PilotNet (66x200x3, ELU, tanh head, batch
 * 32, Adam) on one tfjs engine, measured with the lab's own pieces: CORE's
 * createRegressor, lossAndGrads and Adam, and ENGINE's worker pool.
 */
import { initEngine, tf, type EngineName } from '../src/engine/index.ts';
import { createParallelProvider } from '../src/engine/parallel.ts';
import { createRegressor } from '../src/model/index.ts';
import type { ModelConfig } from '../src/model/config.ts';
import { createOptimizer } from '../src/train/optimizer.ts';
import { OptimizerConfig } from '../src/train/config.ts';
import { disposeStep, lossAndGrads } from '../src/train/step.ts';
import { createRng } from '../src/rng.ts';

/** The benchmark model: the PyTorch peer (bench/peer_pytorch.py) builds the same one. */
export const PILOTNET: Partial<ModelConfig> = { arch: 'pilotnet', activation: 'elu', head: 'tanh', init: 'he_normal' };
export const BATCH = 32;
const LR = 1e-3;

export interface EngineResult {
  name: string;
  engine: EngineName;
  workers: number;
  /** null when not measured (then `note` says why). */
  trainSamplesPerS: number | null;
  fwdSamplesPerS: number | null;
  trainStepMs: number | null;
  /** CPU time of this process (all its threads) per training step, ms: less sensitive than wall time to other work on the machine. */
  trainCpuMsPerStep?: number;
  steps: number;
  /** Worker rows: mean time a worker spent computing its shard per step, ms (the rest of a step is messaging, averaging and Adam). */
  workerComputeMs?: number;
  /** Samples/s of each timed training segment (trainSamplesPerS is over all of them). */
  trainSegments?: number[];
  fwdSegments?: number[];
  note?: string;
}

export interface Budget {
  /** Minimum timed steps and seconds per measurement (whichever ends later), split over the segments. */
  minSteps: number;
  seconds: number;
  /** Timed segments per measurement (default 1); `between` runs after each. */
  segments?: number;
}

/** Runs after each timed segment (the bench times the peer there, so the two alternate). */
export type Between = (kind: 'train' | 'fwd', segment: number) => Promise<void>;

/** Times `f` after `warmup` calls until both budgets are spent; returns ms per call and calls made. */
async function timeLoop(f: () => void | Promise<void>, warmup: number, b: Budget): Promise<{ ms: number; cpuMs: number; n: number }> {
  for (let i = 0; i < warmup; i++) await f();
  let n = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  while (n < b.minSteps || performance.now() - t0 < b.seconds * 1000) {
    await f();
    n++;
  }
  const c = process.cpuUsage(c0);
  return { ms: (performance.now() - t0) / n, cpuMs: (c.user + c.system) / 1000 / n, n };
}

interface Timed {
  /** ms and process CPU ms per call over all segments, calls made, samples/s of each segment. */
  ms: number;
  cpuMs: number;
  n: number;
  segments: number[];
}

/** timeLoop over b.segments segments, calling `between` after each; each call of f handles perCall samples. */
async function timeSegments(f: () => void | Promise<void>, warmup: number, b: Budget, kind: 'train' | 'fwd', between?: Between, perCall = BATCH): Promise<Timed> {
  const k = Math.max(1, b.segments ?? 1);
  const part = { minSteps: Math.ceil(b.minSteps / k), seconds: b.seconds / k };
  let ms = 0;
  let cpuMs = 0;
  let n = 0;
  const segments: number[] = [];
  for (let i = 0; i < k; i++) {
    const t = await timeLoop(f, i === 0 ? warmup : 0, part);
    ms += t.ms * t.n;
    cpuMs += t.cpuMs * t.n;
    n += t.n;
    segments.push((perCall * 1000) / t.ms);
    await between?.(kind, i);
  }
  return { ms: ms / n, cpuMs: cpuMs / n, n, segments };
}

function batchData(seed: number): { x: Float32Array; y: Float32Array } {
  const rng = createRng(seed);
  const x = new Float32Array(BATCH * 66 * 200 * 3);
  for (let i = 0; i < x.length; i++) x[i] = rng.next();
  const y = Float32Array.from({ length: BATCH }, () => rng.next() * 2 - 1);
  return { x, y };
}

/**
 * Measures one engine. workers = 1: the trainer's default in-process step;
 * workers > 1: gradients from the worker pool, Adam in this process (as
 * trainRun does with a gradient provider).
 */
export async function measureEngine(engine: EngineName, workers: number, b: Budget, between?: Between): Promise<EngineResult> {
  const info = await initEngine(engine);
  const name = workers > 1 ? `${engine} x${workers} workers` : `${engine} (1 thread, in-process)`;
  const model = createRegressor(PILOTNET, 1);
  const opt = createOptimizer(OptimizerConfig.parse({ name: 'adam', learningRate: LR }));
  const { x: xArr, y: yArr } = batchData(2);
  const x = tf.tensor4d(xArr, [BATCH, 66, 200, 3]);
  const y = tf.tensor2d(yArr, [BATCH, 1]);
  const provider = workers > 1 ? await createParallelProvider({ model: PILOTNET, l2: 0, workers, engine }) : null;
  let workerMs = 0;
  let workerSteps = 0;
  try {
    const step = async () => {
      if (provider) {
        const r = await provider.compute(model.getWeights(), xArr, yArr, BATCH);
        workerMs += Math.max(...provider.lastWorkerMs);
        workerSteps++;
        const grads = r.grads.map((g, i) => tf.tensor(g, model.variables[i].shape, 'float32'));
        opt.applyGradients(model.variables, grads, LR, false);
        tf.dispose(grads);
        if (!Number.isFinite(r.loss)) throw new Error('benchmark loss is not finite');
      } else {
        const r = lossAndGrads(model, x, y, { l2: 0 });
        opt.applyGradients(model.variables, r.grads, LR, false);
        // Reading the loss is the sync point a real trainer has at least at logging steps.
        const loss = r.loss.dataSync()[0];
        disposeStep(r);
        if (!Number.isFinite(loss)) throw new Error('benchmark loss is not finite');
      }
    };
    // Two warm-up steps pay one-time costs (wasm compilation, XNNPACK set-up); they are not timed.
    await step();
    await step();
    workerMs = 0;
    workerSteps = 0;
    const train = await timeSegments(step, 0, b, 'train', between);
    const workerComputeMs = workerSteps > 0 ? workerMs / workerSteps : undefined;
    let fwd: Timed | null = null;
    // Forward samples per timed call: with workers, one batch per worker in flight at once, as the
    // validation pass runs them (evaluateSource over provider.predict).
    const fwdPerCall = provider ? BATCH * provider.concurrency : BATCH;
    if (provider) {
      const weights = model.getWeights();
      fwd = await timeSegments(async () => {
        await Promise.all(Array.from({ length: provider.concurrency }, () => provider.predict(weights, xArr, BATCH)));
      }, 2, { ...b, seconds: b.seconds / 2 }, 'fwd', between, fwdPerCall);
    } else {
      fwd = await timeSegments(() => {
        tf.tidy(() => model.apply(x, { training: false }).output.dataSync());
      }, 2, { ...b, seconds: b.seconds / 2 }, 'fwd', between);
    }
    return {
      name, engine: info.name, workers,
      trainSamplesPerS: (BATCH * 1000) / train.ms,
      fwdSamplesPerS: fwd ? (fwdPerCall * 1000) / fwd.ms : null,
      trainStepMs: train.ms,
      trainCpuMsPerStep: train.cpuMs,
      steps: train.n,
      trainSegments: train.segments,
      ...(fwd ? { fwdSegments: fwd.segments } : {}),
      ...(workerComputeMs !== undefined ? { workerComputeMs } : {}),
      ...(provider ? { note: `forward: ${provider.concurrency} batches of ${BATCH} in flight on the workers, as validation runs` } : {}),
    };
  } finally {
    provider?.dispose();
    opt.dispose();
    model.dispose();
    tf.dispose([x, y]);
  }
}

/** A row for an engine that was not measured, with the reason. */
export function skipped(engine: EngineName, workers: number, note: string): EngineResult {
  return { name: engine, engine, workers, trainSamplesPerS: null, fwdSamplesPerS: null, trainStepMs: null, steps: 0, note };
}
