/**
 * `steerlab bench --e2e`: one `compare` cell as a user runs it against the
 * same cell in a plain PyTorch loop, on the same frames and split.
 *
 * The cell: a synthetic drive (default 5,000 frames, 320x160 H.264) decoded
 * once into the lab's frame cache at 66x200 (the timed cells read the warm
 * cache), PilotNet with compare's defaults (linear head, normalized
 * targets, flip + brightness + contrast augmentation), batch 32, Adam 1e-3,
 * diagnostics every 10 steps, validation every epoch, 2 epochs. The peer
 * (e2e-peer.ts) trains the same split with the same batch size, optimiser,
 * augmentation and per-epoch validation, 2 torch threads.
 *
 * Drift: the machine's speed changes by up to 1.5x within minutes, so the
 * two sides alternate in rounds (lab, peer | peer, lab | ...) and the ratio
 * is the median of the per-round ratios, with their range.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine } from '../src/engine/index.ts';
import { createPoolKeeper } from '../src/engine/pool.ts';
import { kernelVariant, type KernelVariant } from '../src/engine/wasm-module.ts';
import { datasetToTrainingData } from '../src/experiments/training-data.ts';
import { synthesizeDrive } from '../src/synth/index.ts';
import { RunConfig } from '../src/train/config.ts';
import type { PhasesMs } from '../src/train/trainer.ts';
import { loadDatasets } from '../src/video/multi.ts';
import { cellWorkerPlan, runLabCell, type LabCell, type LabPhasesMs } from './e2e-lab.ts';
import { startE2ePeer, type E2ePeer, type PeerCell } from './e2e-peer.ts';
import { findTorchPython } from './peer.ts';

export interface E2eOptions {
  /** Frames of the synthetic drive (default 5,000). */
  frames: number;
  epochs: number;
  /** Rounds; each times one lab cell and one peer cell (default 2). */
  rounds: number;
  /** Torch threads of the peer (default 2). */
  threads?: number;
  noPeer?: boolean;
  onProgress?(what: string): void;
}

/** The real size (the issue's cell) and the CI smoke size. */
export const E2E_DEFAULT: Pick<E2eOptions, 'frames' | 'epochs' | 'rounds'> = { frames: 5000, epochs: 2, rounds: 2 };
export const E2E_QUICK: Pick<E2eOptions, 'frames' | 'epochs' | 'rounds'> = { frames: 200, epochs: 2, rounds: 1 };

export interface CpuInfo {
  model: string;
  /** /proc/cpuinfo's "cpu family" and "model" (AMD family 25 is Zen 3 at model 1 and Zen 4 at model 17; 26 is Zen 5); null where there is none. */
  family: number | null;
  modelNumber: number | null;
  /** Whether the CPU has AVX-512 (PyTorch's kernels use it; wasm SIMD stays 128 bits wide). */
  avx512: boolean | null;
  cores: number;
}

export interface EndToEnd {
  /** Training samples per second of wall time of the whole cell (training, diagnostics, validation, checkpoints, outputs), over all rounds. */
  labSamplesPerS: number;
  peerSamplesPerS: number | null;
  /** Median over rounds of lab / peer samples/s (each round's two cells timed back to back). */
  ratio: number | null;
  ratioRange: [number, number] | null;
  /**
   * CPU time per training sample, ms (lab: this process with its worker threads; peer: its process, all
   * threads), over all rounds: less sensitive than wall time to other work on a shared machine.
   */
  cpuMsPerSample: { lab: number; peer: number | null };
  /** Mean per cell, ms. */
  labPhasesMs: LabPhasesMs;
  /** The trainer's own phases (TrainOutcome.phasesMs; batch there is time spent waiting for a batch), mean per cell, ms. */
  labTrainerPhasesMs: PhasesMs;
  peerPhasesMs: PeerCell['phasesMs'] | null;
  cpu: CpuInfo;
  cell: {
    frames: number; trainSamples: number; valSamples: number; epochs: number; batch: number; model: string; optimizer: string;
    augment: RunConfig['augment']; logEvery: number; engine: string;
    /** Which build of the lab's wasm kernels ran (wasm engine only): fma (relaxed SIMD) or plain. */
    kernels: KernelVariant | null; workers: number; workerReason: string;
  };
  /** Training samples per cell on each side (they must match). */
  samplesPerCell: { lab: number; peer: number | null };
  /**
   * Each round's cells. valRmseDeg (degrees) is one seed per side, a check that the cell trained: not an
   * accuracy comparison (see e2eConfig; `compare --seeds N`, then `steerlab reference` on it, compares the lab with PyTorch over seeds).
   */
  rounds: { lab: Pick<LabCell, 'samples' | 'wallS' | 'cpuS' | 'valRmseDeg'>[]; peer: Pick<PeerCell, 'samples' | 'wallS' | 'cpuS' | 'valRmseDeg'>[] };
  /** Seconds of the untimed set-up: synthesis, first decode into the cache, warm cache open, worker pool start, peer start. */
  setupS: Record<string, number>;
  loadAverage: { start: number[]; end: number[] };
  peerName: string | null;
  peerNote: string | null;
  note: string;
}

/** The CPU's model name, family, model number and AVX-512 (Linux /proc/cpuinfo; elsewhere those are null). */
export function cpuInfo(): CpuInfo {
  let info = '';
  try {
    info = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    // not Linux
  }
  const num = (re: RegExp) => {
    const m = re.exec(info);
    return m ? Number(m[1]) : null;
  };
  const flags = /^flags\s*:(.*)$/m.exec(info)?.[1].split(/\s+/) ?? null;
  return {
    model: cpus()[0]?.model ?? 'unknown', family: num(/^cpu family\s*:\s*(\d+)/m), modelNumber: num(/^model\s*:\s*(\d+)/m),
    avx512: flags ? flags.includes('avx512f') : null, cores: cpus().length,
  };
}

const load = () => loadavg().map((v) => Math.round(v * 100) / 100);
const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * The cell's run config: compare's defaults for one (linear, normalized) cell.
 * Both sides train it from seed 1 in every round, so each side's valRmseDeg is
 * one seed, and one seed is no accuracy comparison: the peer has PyTorch's
 * default initialisation and random streams (as `steerlab reference`), and at
 * 2 epochs seeds spread widely. Measured 2026-12-06 at --e2e-frames 2500
 * (1,920 train / 500 val frames), seeds 1-16: lab 23.1 +- 6.7 deg, PyTorch
 * 20.5 +- 10.4 deg val RMSE (mean +- sd; seed 1: 23.1 vs 13.1 deg), difference
 * of means 2.6 deg, 95% bootstrap interval -3.6 to 8.1 deg.
 */
export function e2eConfig(epochs: number): RunConfig {
  return RunConfig.parse({
    name: 'bench-e2e', seed: 1, epochs, batchSize: 32, logEvery: 10, engine: 'auto',
    model: { arch: 'pilotnet', head: 'linear', input: { height: 66, width: 200, channels: 3 } }, targets: { kind: 'normalized' },
  });
}

function meanPhases<T extends Record<string, number | null>>(cells: T[]): T {
  const out = {} as Record<string, number | null>;
  for (const k of Object.keys(cells[0])) {
    const v = cells.map((c) => c[k]);
    out[k] = v.some((x) => x === null) ? null : (v as number[]).reduce((a, b) => a + b, 0) / v.length;
  }
  return out as T;
}

/** Runs the end-to-end comparison in a scratch folder (removed afterwards). */
export async function runEndToEnd(o: E2eOptions): Promise<EndToEnd> {
  const say = o.onProgress ?? (() => {});
  const loadStart = load();
  const dir = mkdtempSync(join(tmpdir(), 'steerlab-bench-e2e-'));
  const setupS: Record<string, number> = {};
  const timed = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const v = await f();
    setupS[what] = (performance.now() - t0) / 1000;
    return v;
  };
  const pools = createPoolKeeper({ seed: 1 });
  let peer: E2ePeer | null = null;
  try {
    const config = e2eConfig(o.epochs);
    say(`synthesising a ${o.frames}-frame drive`);
    const drive = await timed('synthesize', () => synthesizeDrive(join(dir, 'drive'), { frames: o.frames, seed: 1, width: 320, height: 160, fps: 20 }));
    const spec = { source: drive.videoPath, labels: drive.labelsPath, input: { width: 200, height: 66 } };
    const cacheDir = join(dir, 'cache');
    mkdirSync(cacheDir);
    say('decoding it into the frame cache (the timed cells read the warm cache)');
    (await timed('decode', () => loadDatasets([spec], { cacheDir }))).frames.close();
    const ds = await timed('cacheOpen', () => loadDatasets([spec], { cacheDir }));
    if (!ds.cacheHit) throw new Error('the frame cache was not reused: the cell would decode inside the timed span');
    try {
      const engine = (await initEngine(config.engine)).name;
      const td = datasetToTrainingData(ds, config.split, config.augment);
      const plan = cellWorkerPlan(config, engine, td.trainIndices.length);
      if (plan.workers > 1) await timed('poolStart', () => pools.get(config.model, config.model.l2, plan.workers));
      let peerNote: string | null = null;
      if (o.noPeer) peerNote = 'skipped (--no-peer)';
      else {
        const py = findTorchPython();
        if ('reason' in py) peerNote = py.reason;
        else {
          say('dumping the frames for the PyTorch loop and starting it');
          peer = await timed('peerStart', () => startE2ePeer({ python: py.python, threads: o.threads ?? 2, workDir: dir, ds, td, config }));
        }
      }
      const runsDir = join(dir, 'runs');
      mkdirSync(runsDir);
      const lab: LabCell[] = [];
      const theirs: PeerCell[] = [];
      for (let r = 0; r < o.rounds; r++) {
        const labCell = async () => {
          say(`round ${r + 1}/${o.rounds}: the lab's cell (${engine}, ${plan.workers > 1 ? `${plan.workers} workers` : 'in-process'})`);
          lab.push(await runLabCell(ds, config, engine, pools, runsDir));
        };
        const peerCell = async () => {
          if (!peer) return;
          say(`round ${r + 1}/${o.rounds}: the PyTorch loop's cell`);
          theirs.push(await peer.run());
        };
        // Alternate who goes first (ABBA), so a steady drift does not favour one side.
        for (const f of r % 2 === 0 ? [labCell, peerCell] : [peerCell, labCell]) await f();
      }
      return summarize({ config, engine, plan, ds, td, lab, theirs, setupS, loadStart, peerNote, peerName: peer ? `PyTorch ${peer.torch}, ${peer.threads} threads, ${peer.allocator}` : null });
    } finally {
      ds.frames.close();
    }
  } finally {
    peer?.close();
    pools.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

function summarize(s: {
  config: RunConfig; engine: string; plan: { workers: number; reason: string }; ds: { anglesDeg: Float32Array }; td: { trainIndices: Int32Array; valIndices: Int32Array };
  lab: LabCell[]; theirs: PeerCell[]; setupS: Record<string, number>; loadStart: number[]; peerNote: string | null; peerName: string | null;
}): EndToEnd {
  const cpuPer = (cells: { samples: number; cpuS: number }[]) => (1000 * cells.reduce((a, c) => a + c.cpuS, 0)) / cells.reduce((a, c) => a + c.samples, 0);
  const rate = (cells: { samples: number; wallS: number }[]) => cells.reduce((a, c) => a + c.samples, 0) / cells.reduce((a, c) => a + c.wallS, 0);
  const ratios = s.theirs.map((p, i) => s.lab[i].samples / s.lab[i].wallS / (p.samples / p.wallS));
  const c = s.config;
  return {
    labSamplesPerS: rate(s.lab),
    peerSamplesPerS: s.theirs.length ? rate(s.theirs) : null,
    ratio: ratios.length ? median(ratios) : null,
    ratioRange: ratios.length ? [Math.min(...ratios), Math.max(...ratios)] : null,
    cpuMsPerSample: { lab: cpuPer(s.lab), peer: s.theirs.length ? cpuPer(s.theirs) : null },
    labPhasesMs: meanPhases(s.lab.map((l) => l.phasesMs)),
    labTrainerPhasesMs: meanPhases(s.lab.map((l) => l.trainerPhasesMs)),
    peerPhasesMs: s.theirs.length ? meanPhases(s.theirs.map((p) => p.phasesMs)) : null,
    cpu: cpuInfo(),
    cell: {
      frames: s.ds.anglesDeg.length, trainSamples: s.td.trainIndices.length, valSamples: s.td.valIndices.length, epochs: c.epochs, batch: c.batchSize,
      model: `${c.model.arch} ${c.model.input.height}x${c.model.input.width}, ${c.model.head} head, ${c.targets.kind} targets`,
      optimizer: `${c.optimizer.name} lr ${c.optimizer.learningRate}`, augment: c.augment, logEvery: c.logEvery, engine: s.engine,
      kernels: s.engine === 'wasm' ? kernelVariant() : null,
      workers: s.plan.workers, workerReason: s.plan.reason,
    },
    samplesPerCell: { lab: s.lab[0]?.samples ?? 0, peer: s.theirs[0]?.samples ?? null },
    rounds: {
      lab: s.lab.map((l) => ({ samples: l.samples, wallS: l.wallS, cpuS: l.cpuS, valRmseDeg: l.valRmseDeg })),
      peer: s.theirs.map((p) => ({ samples: p.samples, wallS: p.wallS, cpuS: p.cpuS, valRmseDeg: p.valRmseDeg })),
    },
    setupS: s.setupS,
    loadAverage: { start: s.loadStart, end: load() },
    peerName: s.peerName,
    peerNote: s.peerNote,
    note:
      "lab: the runner's per-cell steps (trainRun with checkpoints, event logs, validation predictions, model export) on a fresh frame reader over the warm disk cache; " +
      'batch is main-thread ms in the lab\'s own frame source (uint8 frames gathered, augmentation drawn); the pixel pass (scaling and augmentation in one pass) runs in the gradient workers on their shards, inside step, so augment is null; ' +
      "step/diagnostics/validation the trainer's phasesMs (step less the batch work that ran inside it); other the rest of the wall time. " +
      'peer: reference.py\'s loop (uint8 NHWC memory map -> float NCHW channels-last, augmentation, Adam, validation each epoch), timed from model construction. ' +
      'Worker pool start, torch import and the frame dump are outside both timings.',
  };
}

const f0 = (v: number | null) => (v === null ? '—' : v.toFixed(0));

/** Human-readable lines of the end-to-end comparison. */
export function formatEndToEnd(e: EndToEnd): string {
  const p = e.labPhasesMs;
  const q = e.peerPhasesMs;
  const range = e.ratioRange ? ` (rounds ${e.ratioRange[0].toFixed(2)}-${e.ratioRange[1].toFixed(2)})` : '';
  return [
    `end-to-end compare cell: ${e.cell.model}, ${e.cell.trainSamples} train / ${e.cell.valSamples} val frames, ${e.cell.epochs} epochs, batch ${e.cell.batch}, ${e.cell.optimizer}, ${e.cell.engine}${e.cell.kernels ? ` (${e.cell.kernels} kernels)` : ''} ${e.cell.workers > 1 ? `x${e.cell.workers} workers` : 'in-process'}`,
    `  lab ${e.labSamplesPerS.toFixed(1)} samples/s, PyTorch loop ${e.peerSamplesPerS === null ? `— (${e.peerNote})` : `${e.peerSamplesPerS.toFixed(1)} samples/s`}` +
      `${e.ratio === null ? '' : `, ratio ${e.ratio.toFixed(2)}x${range}`} (target >= 1.0); ${e.rounds.lab.length} round${e.rounds.lab.length === 1 ? '' : 's'}; ${e.samplesPerCell.lab} samples per cell` +
      `${e.samplesPerCell.peer === null ? '' : ` (peer ${e.samplesPerCell.peer})`}`,
    `  CPU ms per training sample: lab ${e.cpuMsPerSample.lab.toFixed(2)}, PyTorch loop ${e.cpuMsPerSample.peer === null ? '—' : e.cpuMsPerSample.peer.toFixed(2)}`,
    `  lab ms per cell: batch ${f0(p.batch)}${p.augment === null ? ' (augmentation drawn here, applied in the workers within step)' : `, augment ${f0(p.augment)}`}, step ${f0(p.step)}, diagnostics ${f0(p.diagnostics)}, validation ${f0(p.validation)}, other ${f0(p.other)}`,
    ...(q ? [`  PyTorch ms per cell: batch ${f0(q.batch)}, augment ${f0(q.augment)}, step ${f0(q.step)}, validation ${f0(q.validation)}, other ${f0(q.other)}`] : []),
    `  cpu: ${e.cpu.model} (family ${e.cpu.family ?? '?'} model ${e.cpu.modelNumber ?? '?'}${e.cpu.avx512 ? ', AVX-512' : ''}), ${e.cpu.cores} cores; load average ${e.loadAverage.start.join('/')} -> ${e.loadAverage.end.join('/')}`,
  ].join('\n');
}
