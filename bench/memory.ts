/**
 * `steerlab bench --memory`: trains PilotNet from a long on-disk frame cache
 * (default 45,000 frames at 66x200, about 1.8 GB) through the same path a
 * real experiment takes (VIDEO's cache file -> EXPERIMENTS' training data ->
 * CORE's trainer), sampling this process's resident memory as it goes.
 * Also times batch assembly against the training step: if building a batch
 * from the cache took a large share of a step, training would be starved.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { datasetToTrainingData } from '../src/experiments/training-data.ts';
import { AugmentConfig, SplitConfig } from '../src/train/config.ts';
import { trainRun } from '../src/train/trainer.ts';
import { FrameCacheWriter } from '../src/video/cache.ts';
import type { Dataset } from '../src/video/types.ts';
import { createRng } from '../src/rng.ts';
import { BATCH, PILOTNET } from './engines.ts';

export interface MemoryReport {
  frames: number;
  cacheMB: number;
  steps: number;
  /** Peak resident set while training, MB (target < 1536). */
  peakRssMB: number;
  /** RSS after the cache was written and before training, MB. */
  baselineRssMB: number;
  /** Mean time to assemble one training batch from the cache, ms. */
  batchMs: number;
  /** Mean training step time (wall time of the training phase / steps), ms. */
  stepMs: number;
  withinTarget: boolean;
}

export async function runMemoryCheck(o: { frames: number; steps?: number; onProgress?(what: string): void }): Promise<MemoryReport> {
  const say = o.onProgress ?? (() => {});
  const [W, H] = [200, 66];
  const steps = o.steps ?? 40;
  const dir = mkdtempSync(join(tmpdir(), 'steerlab-membench-'));
  let peak = 0;
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage.rss());
  };
  const timer = setInterval(sample, 50);
  try {
    say(`writing a ${o.frames}-frame cache (${((o.frames * W * H * 3) / 2 ** 20).toFixed(0)} MB)`);
    const writer = await FrameCacheWriter.create(join(dir, 'frames.cache'), W, H);
    const frame = new Uint8Array(W * H * 3);
    for (let i = 0; i < o.frames; i++) {
      // A moving gradient: cheap to make, not constant (the pixels are never compared to anything).
      for (let p = 0; p < frame.length; p++) frame[p] = (p + i * 7) & 255;
      await writer.append(frame, i / 20);
    }
    const frames = await writer.commit({
      key: 'bench-memory', decoderVersion: 0, ffmpegVersion: 'none (generated)',
      video: { path: 'generated', frames: o.frames, fps: 20, width: W, height: H, durationS: o.frames / 20, codec: 'none', rotationDeg: 0, variableFrameRate: false },
    });
    const anglesDeg = Float32Array.from({ length: o.frames }, (_, i) => 30 * Math.sin(i / 200));
    // The fields datasetToTrainingData reads; the rest of a Dataset describes the source, not the samples.
    const ds = { frames, anglesDeg, sampleFrame: Int32Array.from({ length: o.frames }, (_, i) => i) } as unknown as Dataset;
    const data = datasetToTrainingData(ds, SplitConfig.parse({}), AugmentConfig.parse({}));
    const rng = createRng(3);
    let batchMs = 0;
    for (let b = 0; b < 10; b++) {
      const idx = Array.from({ length: BATCH }, () => Math.floor(rng.next() * data.train.size));
      const t0 = performance.now();
      await data.train.batch(idx);
      batchMs += (performance.now() - t0) / 10;
    }
    sample();
    const baseline = process.memoryUsage.rss();
    say(`training ${steps} steps, then validating on ${data.val.size} frames`);
    let tStart = 0;
    let tEnd = 0;
    const out = await trainRun({
      config: { model: PILOTNET, epochs: 1, batchSize: BATCH, maxStepsPerEpoch: steps, logEvery: 10, engine: 'wasm', seed: 1 },
      data,
      onEvent: (e) => {
        sample();
        if (e.type === 'diagnostics' && e.snapshot.step === 0) tStart = performance.now();
        if (e.type === 'diagnostics') tEnd = performance.now();
      },
    });
    out.model.dispose();
    data.close?.();
    frames.close();
    sample();
    const lastLogged = Math.floor((steps - 1) / 10) * 10;
    return {
      frames: o.frames,
      cacheMB: Math.round((o.frames * W * H * 3) / 2 ** 20),
      steps,
      peakRssMB: Math.round(Math.max(peak, process.resourceUsage().maxRSS * 1024) / 2 ** 20),
      baselineRssMB: Math.round(baseline / 2 ** 20),
      batchMs,
      stepMs: lastLogged > 0 ? (tEnd - tStart) / lastLogged : NaN,
      withinTarget: Math.max(peak, process.resourceUsage().maxRSS * 1024) < 1.5 * 2 ** 30,
    };
  } finally {
    clearInterval(timer);
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatMemory(r: MemoryReport): string {
  return [
    `memory check: ${r.frames} cached frames at 200x66 (${r.cacheMB} MB on disk), ${r.steps} training steps + validation`,
    `peak RSS ${r.peakRssMB} MB (target < 1536 MB: ${r.withinTarget ? 'met' : 'NOT met'}); before training ${r.baselineRssMB} MB`,
    `batch of ${BATCH} from the cache: ${r.batchMs.toFixed(1)} ms; training step: ${r.stepMs.toFixed(0)} ms (${((100 * r.batchMs) / r.stepMs).toFixed(1)}% of a step)`,
  ].join('\n');
}
