/**
 * The lab's side of the end-to-end bench: one `compare` cell run the way
 * src/lab/run-cell.ts runs it (a fresh frame LRU over the warm disk
 * cache, the split and augmentation of datasetToTrainingData, the worker
 * plan 'auto', CORE's trainRun with epoch checkpoints, the run folder's event
 * logs, validation predictions and the exported model), timed with its phases.
 *
 * The runner keeps the trainer's outcome to itself, so the bench repeats its
 * per-cell steps here (see the report's note); the training batches come
 * from a copy of the lab's frame source that times loading and augmentation
 * separately (timedTrainSource; test/bench/e2e.test.ts checks it returns the
 * same batches as the lab's).
 */
import { mkdtempSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { augmentInPlace } from '../src/data/augment.ts';
import type { PoolKeeper } from '../src/engine/pool.ts';
import { planWorkers } from '../src/engine/workers.ts';
import { targetTransformFile } from '../src/experiments/store.ts';
import { RunWriter } from '../src/experiments/store.ts';
import { datasetToTrainingData, FrameLru, scaleInto, type DatasetTrainingData } from '../src/experiments/training-data.ts';
import { exportLayersModel } from '../src/model/export.ts';
import type { AugmentConfig, RunConfig } from '../src/train/config.ts';
import type { Batch, SampleSource } from '../src/train/data.ts';
import { trainRun, type GradientProvider, type PhasesMs } from '../src/train/trainer.ts';
import type { Rng } from '../src/rng.ts';
import type { Dataset } from '../src/video/types.ts';

/**
 * Where the lab's cell spent its wall time, ms; the phases add up to it.
 * batch (frames from the LRU / disk cache, scaled to [0, 1]) and augment are
 * main-thread work measured in the batch source, wherever it ran; step,
 * diagnostics and validation are the trainer's (TrainOutcome.phasesMs), step
 * less the batch work that ran inside it (on the main thread while the
 * workers computed); other is the rest (checkpoints, engine and model set-up,
 * event logs, predictions and model export).
 */
export type LabPhasesMs = {
  batch: number;
  augment: number;
  step: number;
  diagnostics: number;
  validation: number;
  other: number;
};

export interface LabCell {
  samples: number;
  steps: number;
  /** Wall time of the cell from trainRun's start to result.json, seconds. */
  wallS: number;
  /** CPU time of this process (main thread and worker threads) during the cell, s. */
  cpuS: number;
  phasesMs: LabPhasesMs;
  /** The trainer's phases as it reported them, for the record. */
  trainerPhasesMs: PhasesMs;
  /** Batch + augment work that ran while a gradient worker step was in flight (inside the trainer's step), ms. */
  batchInStepMs: number;
  workers: number;
  workerReason: string;
  valRmseDeg: number | null;
}

/** Counters the timed source adds to (ms, samples); inCompute > 0 while a worker step is in flight. */
export interface SourceTimers {
  batchMs: number;
  augmentMs: number;
  samples: number;
  inCompute: number;
  inStepMs: number;
}

/** `p` with its compute() calls counted in timers.inCompute (the trainer only calls compute). */
function countedProvider(p: GradientProvider, timers: SourceTimers): GradientProvider {
  return {
    async compute(...args: Parameters<GradientProvider['compute']>) {
      timers.inCompute++;
      try {
        return await p.compute(...args);
      } finally {
        timers.inCompute--;
      }
    },
    // Validation on the pool, as the runner's provider does (not counted: it is not a training step).
    predict: p.predict?.bind(p),
    concurrency: p.concurrency,
    // The pool belongs to the bench's PoolKeeper, which stops it.
    dispose() {},
  };
}

/**
 * The training split of `td` as the lab's FrameSource reads it (the same
 * frames, scaling and augmentation calls in the same order: same batches for
 * the same rng), with the time spent loading + scaling and augmenting.
 */
export function timedTrainSource(ds: Dataset, td: DatasetTrainingData, lru: FrameLru, augment: AugmentConfig | null, timers: SourceTimers): SampleSource {
  const inner = td.train;
  const { width: w, height: h } = ds.frames;
  const c = 3;
  const per = w * h * c;
  return {
    size: inner.size,
    anglesDeg: inner.anglesDeg,
    async batch(indices: ArrayLike<number>, rng?: Rng): Promise<Batch> {
      const idx = Array.from(indices);
      // As FrameSource: the reads run on the next turn of the event loop (while a worker pool computes).
      await new Promise((r) => setImmediate(r));
      const t0 = performance.now();
      let augmentMs = 0;
      const n = idx.length;
      const x = new Float32Array(new SharedArrayBuffer(n * per * 4));
      const yDeg = new Float32Array(n);
      // Sample by sample, as FrameSource: each image is augmented while it is still in cache.
      for (let j = 0; j < n; j++) {
        const k = idx[j];
        if (!(k >= 0 && k < inner.size)) throw new RangeError(`sample ${k} is outside this split (size ${inner.size})`);
        const px = lru.get(ds.sampleFrame[td.trainIndices[k]]);
        const off = j * per;
        scaleInto(x, off, px, per);
        let angle = inner.anglesDeg[k];
        if (rng && augment) {
          const ta = performance.now();
          angle = augmentInPlace(x.subarray(off, off + per), h, w, c, angle, augment, rng);
          augmentMs += performance.now() - ta;
        }
        yDeg[j] = angle;
      }
      const total = performance.now() - t0;
      timers.batchMs += total - augmentMs;
      timers.augmentMs += augmentMs;
      if (timers.inCompute > 0) timers.inStepMs += total;
      for (let j = 0; j < n; j++) if (Number.isFinite(yDeg[j])) timers.samples++;
      return { x, yDeg, size: n };
    },
  };
}

/** The worker plan the runner would make for a one-cell experiment of `config`. */
export function cellWorkerPlan(config: RunConfig, engine: string, trainSize: number) {
  const full = Math.ceil(trainSize / config.batchSize);
  const planned = config.epochs * (config.maxStepsPerEpoch > 0 ? Math.min(full, config.maxStepsPerEpoch) : full);
  return planWorkers('auto', { engine, model: config.model, batchSize: config.batchSize, cores: availableParallelism(), plannedSteps: planned });
}

/**
 * Trains one cell as the runner does and times it. `pools` is the
 * experiment's worker pool keeper (started before, as a user's pool starts
 * before the first cell); the run folder goes under `runsDir`.
 */
export async function runLabCell(ds: Dataset, config: RunConfig, engine: string, pools: PoolKeeper, runsDir: string): Promise<LabCell> {
  // A fresh LRU over the warm disk cache: a user's `compare` is a new process.
  const lru = new FrameLru(ds.frames);
  const td = datasetToTrainingData(ds, config.split, config.augment, { frameCache: lru });
  const timers: SourceTimers = { batchMs: 0, augmentMs: 0, samples: 0, inCompute: 0, inStepMs: 0 };
  const data = { ...td, train: timedTrainSource(ds, td, lru, config.augment, timers) };
  const plan = cellWorkerPlan(config, engine, td.trainIndices.length);
  const provider = plan.workers > 1 ? countedProvider(await pools.get(config.model, config.model.l2, plan.workers), timers) : undefined;
  const dir = mkdtempSync(join(runsDir, 'cell-'));
  const writer = new RunWriter(dir);
  writer.writeConfig(config);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const outcome = await trainRun({ config, data, runDir: dir, gradientProvider: provider, onEvent: (e) => writer.event(e) });
  const result = outcome.result;
  try {
    if (outcome.valPredDeg.length === td.valIndices.length) {
      writer.writeValPredictions({
        sampleIndex: td.valIndices, timeS: Array.from(td.valIndices, (s) => ds.frames.timestampsS[ds.sampleFrame[s]]),
        predDeg: outcome.valPredDeg, trueDeg: outcome.valTrueDeg,
      });
    }
    if (result.val) writer.writeModel(await exportLayersModel(outcome.model), targetTransformFile(outcome.target));
  } finally {
    outcome.model.dispose();
  }
  writer.finish(result);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  if (result.status !== 'completed') throw new Error(`the lab's cell ended ${result.status}: ${result.error ?? ''}`);
  const tp = outcome.phasesMs;
  const phases = { batch: timers.batchMs, augment: timers.augmentMs, step: tp.step - timers.inStepMs, diagnostics: tp.diagnostics, validation: tp.validation };
  const counted = Object.values(phases).reduce((a, v) => a + v, 0);
  return {
    samples: timers.samples, steps: result.steps, wallS: wallMs / 1000, cpuS: (cpu.user + cpu.system) / 1e6,
    phasesMs: { ...phases, other: wallMs - counted },
    trainerPhasesMs: tp, batchInStepMs: timers.inStepMs, workers: plan.workers, workerReason: plan.reason, valRmseDeg: result.val?.model.rmseDeg ?? null,
  };
}
