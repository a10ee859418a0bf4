/**
 * The end-to-end bench at its smoke size (`bench --e2e --quick --json`):
 * the JSON's shape, and that the lab's cell and the PyTorch loop trained the
 * same number of samples. No timing assertions: this machine's speed drifts.
 * Also checks that the bench's timed copy of the lab's frame source returns
 * the lab's batches.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { batchTimer } from '../../bench/e2e-lab.ts';
import { E2E_QUICK, e2eConfig, formatEndToEnd, type EndToEnd } from '../../bench/e2e.ts';
import { findTorchPython } from '../../bench/peer.ts';
import { datasetToTrainingData, FrameReader } from '../../src/experiments/training-data.ts';
import { createRng } from '../../src/rng.ts';
import { synthesizeDrive } from '../../src/synth/index.ts';
import { loadDatasets } from '../../src/video/multi.ts';
import { runCliSync } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'steerlab-e2e-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('end-to-end bench', () => {
  it('times the lab\'s own training batches (the hook sees each one; batches and validation unchanged)', { timeout: 120_000 }, async () => {
    const drive = await synthesizeDrive(join(dir, 'drive'), { frames: 200, seed: 3, width: 64, height: 32, fps: 20 });
    const ds = await loadDatasets([{ source: drive.videoPath, labels: drive.labelsPath, input: { width: 32, height: 16 } }], { cacheDir: join(dir, 'cache') });
    try {
      const config = e2eConfig(1);
      const timers = { batchMs: 0, samples: 0, inCompute: 0, inStepMs: 0 };
      const plain = datasetToTrainingData(ds, config.split, config.augment, { frameCache: new FrameReader(ds.frames) });
      const timed = datasetToTrainingData(ds, config.split, config.augment, { frameCache: new FrameReader(ds.frames), onTrainBatch: batchTimer(timers) });
      const idx = Array.from({ length: Math.min(12, plain.train.size) }, (_, i) => (i * 7) % plain.train.size);
      for (const rng of [() => createRng(5), () => undefined]) {
        const want = await plain.train.batch(idx, rng());
        const got = await timed.train.batch(idx, rng());
        expect(got.size).toBe(want.size);
        expect(Array.from(got.yDeg)).toEqual(Array.from(want.yDeg));
        expect(Buffer.from(got.x.buffer).equals(Buffer.from(want.x.buffer))).toBe(true);
      }
      expect(timers.samples).toBe(2 * idx.length);
      expect(timers.batchMs).toBeGreaterThan(0);
      expect(timers.inStepMs).toBe(0); // no worker step was in flight
      await timed.val.batch([0, 1]);
      expect(timers.samples).toBe(2 * idx.length); // validation batches are the trainer's validation phase, not counted here
    } finally {
      ds.frames.close();
    }
  });

  it('prints the comparison with units, the phases and the CPU it ran on', () => {
    const phases = { batch: 1000, augment: null, step: 20000, diagnostics: 300, validation: 4000, other: 700 };
    const e = {
      labSamplesPerS: 150, peerSamplesPerS: 300, ratio: 0.5, ratioRange: [0.45, 0.55], cpuMsPerSample: { lab: 12.5, peer: 6.25 }, labPhasesMs: phases,
      labTrainerPhasesMs: { batch: 10, step: 20000, diagnostics: 300, validation: 4000, checkpoint: 200, other: 1990 },
      peerPhasesMs: { batch: 400, augment: 900, step: 9000, validation: 1500, other: 30 },
      cpu: { model: 'Test EPYC', family: 26, modelNumber: 68, avx512: true, cores: 2 },
      cell: { frames: 5000, trainSamples: 3900, valSamples: 1000, epochs: 2, batch: 32, model: 'pilotnet 66x200', optimizer: 'adam lr 0.001', augment: e2eConfig(2).augment, logEvery: 10, engine: 'wasm', kernels: 'fma', workers: 2, workerReason: '' },
      samplesPerCell: { lab: 7800, peer: 7800 }, rounds: { lab: [], peer: [] }, setupS: {}, loadAverage: { start: [1, 1, 1], end: [2, 2, 2] },
      peerName: 'PyTorch', peerNote: null, note: '',
    } as unknown as EndToEnd;
    const text = formatEndToEnd(e);
    expect(text).toContain('lab 150.0 samples/s, PyTorch loop 300.0 samples/s, ratio 0.50x (rounds 0.45-0.55)');
    expect(text).toContain('batch 1000 (augmentation drawn here, applied in the workers within step), step 20000, diagnostics 300, validation 4000, other 700');
    expect(text).toContain('wasm (fma kernels) x2 workers');
    expect(text).toContain('CPU ms per training sample: lab 12.50, PyTorch loop 6.25');
    expect(text).toContain('Test EPYC (family 26 model 68, AVX-512)');
  });

  it('`bench --e2e --quick --json` reports both sides of one compare cell, trained on the same number of samples', { timeout: 600_000 }, () => {
    const r = runCliSync(['bench', '--e2e', '--quick', '--json'], { timeoutMs: 590_000 });
    expect(r.code, r.stderr).toBe(0);
    const { machine, endToEnd: e } = JSON.parse(r.stdout);
    expect(machine.cores).toBeGreaterThan(0);
    for (const k of ['labSamplesPerS', 'peerSamplesPerS', 'ratio', 'cpuMsPerSample', 'labPhasesMs', 'cpu', 'cell', 'samplesPerCell', 'rounds', 'loadAverage']) expect(e).toHaveProperty(k);
    expect(Object.keys(e.labPhasesMs).sort()).toEqual(['augment', 'batch', 'diagnostics', 'other', 'step', 'validation']);
    expect(e.labPhasesMs.augment).toBeNull(); // fused into batch: the lab augments while it scales
    for (const [k, v] of Object.entries(e.labPhasesMs)) if (k !== 'augment') expect(Number.isFinite(v), k).toBe(true);
    expect(e.labPhasesMs.batch).toBeGreaterThan(0);
    expect(e.cpu.model).toEqual(expect.any(String));
    expect(e.cell).toMatchObject({ epochs: E2E_QUICK.epochs, batch: 32, logEvery: 10, augment: { flip: true } });
    expect(e.rounds.lab).toHaveLength(E2E_QUICK.rounds);
    // Every epoch trains on the whole training split (all of the synthetic drive's angles are finite).
    expect(e.samplesPerCell.lab).toBe(E2E_QUICK.epochs * e.cell.trainSamples);
    expect(e.labSamplesPerS).toBeGreaterThan(0);
    if ('python' in findTorchPython()) {
      expect(e.rounds.peer).toHaveLength(E2E_QUICK.rounds);
      expect(e.samplesPerCell.peer).toBe(e.samplesPerCell.lab);
      expect(e.peerSamplesPerS).toBeGreaterThan(0);
      expect(e.cpuMsPerSample.peer).toBeGreaterThan(0);
      expect(e.ratio).toBeCloseTo(e.labSamplesPerS / e.peerSamplesPerS, 6); // one round: the ratio is that round's
      expect(Object.keys(e.peerPhasesMs).sort()).toEqual(['augment', 'batch', 'other', 'step', 'validation']);
    } else {
      expect(e.peerSamplesPerS).toBeNull();
      expect(e.peerNote).toMatch(/PyTorch/);
    }
  });
});
