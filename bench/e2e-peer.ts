/**
 * The PyTorch side of the end-to-end bench: the cell's frames dumped from the
 * lab's warm cache into one uint8 NHWC file (the reference's frame dump,
 * src/reference/frames.ts), a reference job for the same split, targets,
 * model, optimiser and augmentation (src/reference/job.ts), and one
 * bench/e2e_peer.py process kept up that trains the cell on request with
 * src/reference/reference.py's loop pieces. As in `steerlab reference`, the
 * peer initialises with PyTorch's defaults and draws from torch's own seeded
 * stream, so its validation RMSE matches the lab's over seeds, not per seed
 * (see e2eConfig).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DatasetTrainingData } from '../src/experiments/training-data.ts';
import { dumpFrames } from '../src/reference/frames.ts';
import { REFERENCE_SCRIPT } from '../src/reference/index.ts';
import { JOB_VERSION, jobDataset, jobRun, jobTransform, recordSamples, type ReferenceJob } from '../src/reference/job.ts';
import { torchEnv } from '../src/reference/python.ts';
import type { RunConfig } from '../src/train/config.ts';
import type { Dataset } from '../src/video/types.ts';
import { startJsonChild } from './peer.ts';

const SCRIPT = fileURLToPath(new URL('./e2e_peer.py', import.meta.url));

/** One cell trained by the peer (e2e_peer.py's answer). */
export interface PeerCell {
  samples: number;
  steps: number;
  wallS: number;
  /** CPU time of the peer process (all threads) during the cell, s. */
  cpuS: number;
  phasesMs: { batch: number; augment: number; step: number; validation: number; other: number };
  valRmseDeg: number | null;
}

export interface E2ePeer {
  torch: string;
  threads: number;
  /** How glibc handles freed memory in the peer (src/reference/python.ts torchEnv). */
  allocator: string;
  run(): Promise<PeerCell>;
  close(): void;
}

/**
 * Dumps the frames of `td`'s split into workDir, writes the job and starts
 * the peer with `threads` torch threads in the environment the lab's
 * reference runs PyTorch in (src/reference/python.ts torchEnv).
 */
export async function startE2ePeer(o: { python: string; threads: number; workDir: string; ds: Dataset; td: DatasetTrainingData; config: RunConfig }): Promise<E2ePeer> {
  const { ds, td, config } = o;
  const records = recordSamples([td.trainIndices, td.valIndices]);
  const framesPath = join(o.workDir, 'frames.u8');
  await dumpFrames(ds.frames, Array.from(records, (s) => ds.sampleFrame[s]), framesPath);
  const transform = jobTransform(config.targets, td.train.anglesDeg, null, '(none saved)');
  const job: ReferenceJob = {
    version: JOB_VERSION, mode: 'train', resultPath: '', threads: o.threads,
    datasets: [jobDataset({ path: framesPath, height: ds.frames.height, width: ds.frames.width, records }, td, ds.anglesDeg)],
    runs: [jobRun('bench-e2e', config, 0, transform)],
  };
  const jobPath = join(o.workDir, 'job.json');
  writeFileSync(jobPath, JSON.stringify(job));
  const child = await startJsonChild(o.python, [SCRIPT, REFERENCE_SCRIPT, jobPath], 'PyTorch end-to-end peer', torchEnv());
  const ready = child.ready as { torch: string; threads: number; allocator: string };
  return { torch: ready.torch, threads: ready.threads, allocator: ready.allocator, run: () => child.request('run') as Promise<PeerCell>, close: () => child.close() };
}
