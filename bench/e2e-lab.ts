/**
 * The lab's side of the end-to-end bench: one `compare` cell run the way
 * src/lab/run-cell.ts runs it (a fresh frame reader over the warm disk
 * cache, the split and augmentation of datasetToTrainingData, the worker
 * plan 'auto', CORE's trainRun with epoch checkpoints, the run folder's event
 * logs, validation predictions and the exported model), timed with its phases.
 *
 * The runner keeps the trainer's outcome to itself, so the bench repeats its
 * per-cell steps here (see the report's note); the training batches come
 * from the lab's own frame source, whose onTrainBatch hook reports the time
 * of each batch's main-thread work (frames gathered, augmentation drawn; the
 * pixel pass runs in the gradient workers, see src/data/raw-batch.ts).
 */
import { mkdtempSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { PoolKeeper } from '../src/engine/pool.ts';
import { planWorkers } from '../src/engine/workers.ts';
import { targetTransformFile } from '../src/experiments/store.ts';
import { RunWriter } from '../src/experiments/store.ts';
import { datasetToTrainingData, FrameReader } from '../src/experiments/training-data.ts';
import { exportLayersModel } from '../src/model/export.ts';
import type { RunConfig } from '../src/train/config.ts';
import { trainRun, type GradientProvider, type PhasesMs } from '../src/train/trainer.ts';
import type { Dataset } from '../src/video/types.ts';

/**
 * Where the lab's cell spent its wall time, ms; the phases add up to it.
 * batch is main-thread work measured in the lab's frame source, wherever it
 * ran: frames read from the disk cache (in the OS page cache) as uint8 and each sample's
 * augmentation drawn; the pixel pass (scaling to [0, 1] and applying the
 * augmentation, one pass) runs in the gradient workers, inside step, each on
 * its shard (augment is null: the lab does not augment as a separate step);
 * step, diagnostics and validation are the trainer's
 * (TrainOutcome.phasesMs), step less the batch work that ran inside it (on
 * the main thread while the workers computed); other is the rest
 * (checkpoints, engine and model set-up, event logs, predictions and model
 * export).
 */
export type LabPhasesMs = {
  batch: number;
  augment: number | null;
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

/** Counters the lab's frame source adds to (ms, samples); inCompute > 0 while a worker step is in flight. */
export interface SourceTimers {
  batchMs: number;
  samples: number;
  inCompute: number;
  inStepMs: number;
}

/** The onTrainBatch hook that adds a batch's time to timers (and to inStepMs when a worker step was in flight). */
export function batchTimer(timers: SourceTimers): (ms: number, samples: number) => void {
  return (ms, samples) => {
    timers.batchMs += ms;
    timers.samples += samples;
    if (timers.inCompute > 0) timers.inStepMs += ms;
  };
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
    // Logging steps' traces from the workers, as the runner's provider sends them.
    traces: p.traces,
    // The pool belongs to the bench's PoolKeeper, which stops it.
    dispose() {},
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
  // A fresh reader (no pixel sums yet) over the warm disk cache: a user's `compare` is a new process.
  const reader = new FrameReader(ds.frames);
  const timers: SourceTimers = { batchMs: 0, samples: 0, inCompute: 0, inStepMs: 0 };
  const td = datasetToTrainingData(ds, config.split, config.augment, { frameCache: reader, onTrainBatch: batchTimer(timers) });
  const plan = cellWorkerPlan(config, engine, td.trainIndices.length);
  const provider = plan.workers > 1 ? countedProvider(await pools.get(config.model, config.model.l2, plan.workers), timers) : undefined;
  const dir = mkdtempSync(join(runsDir, 'cell-'));
  const writer = new RunWriter(dir);
  writer.writeConfig(config);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const outcome = await trainRun({ config, data: td, runDir: dir, gradientProvider: provider, onEvent: (e) => writer.event(e) });
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
  const phases = { batch: timers.batchMs, augment: null, step: tp.step - timers.inStepMs, diagnostics: tp.diagnostics, validation: tp.validation };
  const counted = phases.batch + phases.step + phases.diagnostics + phases.validation;
  return {
    samples: timers.samples, steps: result.steps, wallS: wallMs / 1000, cpuS: (cpu.user + cpu.system) / 1e6,
    phasesMs: { ...phases, other: wallMs - counted },
    trainerPhasesMs: tp, batchInStepMs: timers.inStepMs, workers: plan.workers, workerReason: plan.reason, valRmseDeg: result.val?.model.rmseDeg ?? null,
  };
}
