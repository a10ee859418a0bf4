/**
 * trainRun in-process (one wasm thread) vs trainRun with the worker pool
 * (createParallelProvider), on in-memory frames fed through the lab's own
 * data path (datasetToTrainingData: uint8 -> float, seeded augmentation,
 * reads deferred a tick so they overlap a worker step).
 *
 * The machine is shared, so beside wall time this reports CPU time: the
 * whole process (all threads) and the main thread alone (from
 * /proc/thread-self/stat, Linux). CPU-ms per step is the work a step costs;
 * main-thread CPU per step is the serial part that workers cannot split.
 *
 *   npx tsx bench/train-parallel.ts [--json] [--steps 40] [--sizes demo,full] [--workers 2]
 */
import { loadavg } from 'node:os';
import { initEngine } from '../src/engine/index.ts';
import { createParallelProvider } from '../src/engine/parallel.ts';
import { threadCpuMs } from '../src/engine/thread-cpu.ts';
import type { ModelConfig } from '../src/model/config.ts';
import { trainRun } from '../src/train/trainer.ts';
import type { RunConfigInput } from '../src/train/config.ts';
import { datasetToTrainingData } from '../src/experiments/training-data.ts';
import type { Dataset, FrameStore } from '../src/video/types.ts';
import { createRng } from '../src/rng.ts';

export interface TrainParallelRow {
  size: string;
  input: string;
  widthMultiplier: number;
  workers: number;
  /** Pool start-up: wall seconds and process CPU seconds until every worker built its model. */
  startupS: number | null;
  startupCpuS: number | null;
  steps: number;
  wallMsPerStep: number;
  samplesPerS: number;
  /** Process CPU (all threads) per step, ms. */
  cpuMsPerStep: number;
  /** Main-thread CPU per step, ms (null off Linux). */
  mainCpuMsPerStep: number | null;
  /** Mean time the slowest worker computed its shard, ms (workers only). */
  workerComputeMs: number | null;
  /** Mean thread CPU of one worker per step, ms (workers only; Linux). */
  workerCpuMs: number | null;
  loadAverage: number[];
}

/** CPU seconds of the calling thread, or null off Linux. */
export function threadCpuS(): number | null {
  const ms = threadCpuMs();
  return ms === null ? null : ms / 1000;
}

const cpuS = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
};

/** A Dataset whose frames live in memory (random pixels), so reads cost what reads from the OS page cache cost. */
function memoryDataset(h: number, w: number, frames: number, seed: number): Dataset {
  const rng = createRng(seed);
  const px = Array.from({ length: frames }, () => Uint8Array.from({ length: h * w * 3 }, () => Math.floor(rng.next() * 256)));
  const store: FrameStore = {
    count: frames, width: w, height: h, channels: 3,
    timestampsS: Float64Array.from({ length: frames }, (_, i) => i / 20),
    read: (i, out) => {
      if (out) {
        out.set(px[i]);
        return out;
      }
      return px[i].slice();
    },
    close: () => {},
  };
  return {
    frames: store,
    sampleFrame: Int32Array.from({ length: frames }, (_, i) => i),
    anglesDeg: Float32Array.from({ length: frames }, () => (rng.next() - 0.5) * 60),
  } as unknown as Dataset;
}

export const SIZES: Record<string, { h: number; w: number; widthMultiplier: number }> = {
  demo: { h: 33, w: 100, widthMultiplier: 0.5 },
  demo1: { h: 33, w: 100, widthMultiplier: 1 },
  half: { h: 66, w: 200, widthMultiplier: 0.5 },
  full: { h: 66, w: 200, widthMultiplier: 1 },
};

/**
 * One trainRun of `steps` + 11 steps; timing covers the steps between the
 * step-10 and the last logged step (logEvery 10, so it includes logging steps
 * at their normal share), after warm-up.
 */
export async function measureTrainRun(size: string, workers: number, steps: number): Promise<TrainParallelRow> {
  const s = SIZES[size];
  if (!s) throw new Error(`unknown size '${size}'; use ${Object.keys(SIZES).join(', ')}`);
  await initEngine('wasm');
  const model: Partial<ModelConfig> = { arch: 'pilotnet', input: { height: s.h, width: s.w, channels: 3 }, widthMultiplier: s.widthMultiplier, activation: 'elu', head: 'tanh', init: 'he_normal' };
  const batch = 32;
  const timed = Math.max(10, Math.round(steps / 10) * 10);
  const total = 10 + timed + 1;
  // One epoch holds every step, so no validation pass falls inside the timed window.
  const ds = memoryDataset(s.h, s.w, Math.ceil((total * batch) / 0.95) + 64, 5);
  const td = datasetToTrainingData(ds, { valFraction: 0.05, blocks: 1, guardFrames: 0, seed: 1 }, { flip: true, brightness: 0.2, contrast: 0.2, shiftPx: 0, shiftDegPerPx: 0 });
  const config: RunConfigInput = {
    name: 'bench', seed: 1, engine: 'wasm', epochs: 1, batchSize: batch, maxStepsPerEpoch: total, logEvery: 10,
    model, optimizer: { name: 'adam', learningRate: 1e-4 },
  };
  let startupS: number | null = null;
  let startupCpuS: number | null = null;
  let provider: Awaited<ReturnType<typeof createParallelProvider>> | null = null;
  if (workers > 1) {
    const t0 = performance.now();
    const c0 = cpuS();
    provider = await createParallelProvider({ model, l2: 0, workers, engine: 'wasm' });
    startupS = (performance.now() - t0) / 1000;
    startupCpuS = cpuS() - c0;
  }
  const marks: { step: number; t: number; cpu: number; main: number | null }[] = [];
  // Worker timings come from every step (the provider keeps only the last call's), via a wrapper.
  const gradientProvider = provider && {
    compute: async (...a: Parameters<typeof provider.compute>) => {
      const r = await provider.compute(...a);
      if (marks.length === 1) {
        workerMs += Math.max(...provider.lastWorkerMs);
        const c = provider.lastWorkerCpuMs.filter((v): v is number => v !== null);
        workerCpu += c.length ? c.reduce((x, y) => x + y, 0) / c.length : NaN;
        workerSteps++;
      }
      return r;
    },
    dispose: () => provider.dispose(),
  };
  let workerMs = 0;
  let workerCpu = 0;
  let workerSteps = 0;
  try {
    const outcome = await trainRun({
      config,
      data: td,
      gradientProvider: gradientProvider ?? undefined,
      onEvent: (e) => {
        if (e.type !== 'step') return;
        if (e.step === 10 || e.step === 10 + timed) marks.push({ step: e.step, t: performance.now(), cpu: cpuS(), main: threadCpuS() });
      },
    });
    outcome.model.dispose();
    if (outcome.result.status !== 'completed') throw new Error(`bench run ${outcome.result.status}: ${outcome.result.error ?? ''}`);
  } finally {
    provider?.dispose();
  }
  if (marks.length !== 2) throw new Error(`expected 2 timing marks, got ${marks.length}`);
  const [a, b] = marks;
  const n = b.step - a.step;
  const wallMs = (b.t - a.t) / n;
  return {
    size, input: `${s.h}x${s.w}`, widthMultiplier: s.widthMultiplier, workers, startupS, startupCpuS, steps: n,
    wallMsPerStep: wallMs,
    samplesPerS: (batch * 1000) / wallMs,
    cpuMsPerStep: ((b.cpu - a.cpu) * 1000) / n,
    mainCpuMsPerStep: a.main !== null && b.main !== null ? ((b.main - a.main) * 1000) / n : null,
    workerComputeMs: provider && workerSteps ? workerMs / workerSteps : null,
    workerCpuMs: provider && workerSteps && Number.isFinite(workerCpu) ? workerCpu / workerSteps : null,
    loadAverage: loadavg().map((v) => Math.round(v * 100) / 100),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const opt = (name: string, dflt: string): string => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
  };
  const steps = Number(opt('steps', '40'));
  const sizes = opt('sizes', 'demo,full').split(',');
  const workerCounts = opt('workers', '1,2').split(',').map(Number);
  const rows: TrainParallelRow[] = [];
  for (const size of sizes) {
    for (const w of workerCounts) {
      const r = await measureTrainRun(size, w, steps);
      rows.push(r);
      if (!args.includes('--json')) {
        process.stderr.write(
          `${r.input} x${r.widthMultiplier} workers=${r.workers}: ${r.wallMsPerStep.toFixed(1)} ms/step wall, ${r.samplesPerS.toFixed(1)} samples/s, ` +
            `CPU ${r.cpuMsPerStep.toFixed(1)} ms/step (main thread ${r.mainCpuMsPerStep?.toFixed(1) ?? '?'}), ` +
            `${r.workerComputeMs !== null ? `slowest shard ${r.workerComputeMs.toFixed(1)} ms wall, ` : ''}` +
            `${r.workerCpuMs !== null ? `worker CPU ${r.workerCpuMs.toFixed(1)} ms/step each, ` : ''}` +
            `${r.startupS !== null ? `start-up ${r.startupS.toFixed(2)} s wall / ${r.startupCpuS!.toFixed(2)} s CPU, ` : ''}load ${r.loadAverage.join(' ')}\n`,
        );
      }
    }
  }
  if (args.includes('--json')) process.stdout.write(JSON.stringify({ rows }) + '\n');
  process.exit(0);
}
