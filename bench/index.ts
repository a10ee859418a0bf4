/**
 * `steerlab bench`: training/inference speed of each available engine, the
 * PyTorch peer, decode speed against plain ffmpeg, the cost of diagnostics,
 * one `compare` cell end to end against the same loop in PyTorch (e2e.ts)
 * and peak memory, all measured in this process tree, in this run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { probeEngines, type EngineName } from '../src/engine/index.ts';
import { synthesizeDrive } from '../src/synth/index.ts';
import { measureDecode, type DecodeResult } from './decode.ts';
import { measureDiagnosticsOverhead, type DiagnosticsOverhead } from './diagnostics.ts';
import { BATCH, measureEngine, PILOTNET, skipped, type Between, type EngineResult } from './engines.ts';
import { flopsOf, measureConvKernel, type KernelSpeed } from './flops.ts';
import { findTorchPython, startPeer, type PeerInfo, type PeerResult, type PeerSegment, type PeerSession } from './peer.ts';
import { formatEndToEnd, runEndToEnd, type E2eOptions, type EndToEnd } from './e2e.ts';

export interface BenchOptions {
  /** Seconds per training measurement (forward gets half). */
  seconds: number;
  /** Segments each measurement is split into, alternating with the peer's (default 4). */
  segments?: number;
  /** Minimum timed steps per measurement. */
  minSteps: number;
  /** Steps per diagnostics-overhead run (0 = skip that part). */
  diagSteps: number;
  /** Frames of the synthetic drive for the decode comparison (0 = skip). */
  decodeFrames: number;
  /** Also time the pure-JS cpu backend (very slow on PilotNet). */
  cpu: boolean;
  /** Skip the PyTorch peer. */
  noPeer: boolean;
  workers: number;
  /** The end-to-end compare cell against the PyTorch loop (bench/e2e.ts); null = skip. */
  e2e?: E2eOptions | null;
  onProgress?(what: string): void;
}

export interface BenchReport {
  date: string;
  machine: { cpu: string; cores: number; memoryGB: number; node: string; platform: string };
  model: { name: string; input: [number, number, number]; batch: number; optimizer: string };
  /**
   * trainVsPeer / fwdVsPeer: median over segments of (engine segment / the peer segment
   * timed right after it); the Range fields give the lowest and highest segment ratio.
   */
  engines: (EngineResult & { trainVsPeer: number | null; fwdVsPeer: number | null; trainVsPeerRange?: [number, number]; fwdVsPeerRange?: [number, number] })[];
  peer: (PeerResult & { note?: string }) | null;
  peerNote: string | null;
  decode: DecodeResult | null;
  decodeNote: string | null;
  diagnosticsOverhead: DiagnosticsOverhead | null;
  /** Peak resident set of this process (engines and worker threads), MB. */
  peakRssMB: number;
  /** Load average at the start and end: other work on the machine skews every number. */
  loadAverage: { start: number[]; end: number[] };
  /**
   * The work behind the speeds: FLOPs per sample (from the model plan, the
   * same for every engine), effective GFLOP/s of each engine row and the peer,
   * and the wasm GEMM ceiling with the bound it puts on the offline engine.
   */
  work?: Work | null;
  /** One compare cell end to end against the same loop in PyTorch (null: skipped or failed, see endToEndNote). */
  endToEnd?: EndToEnd | null;
  endToEndNote?: string | null;
}

export interface Work {
  trainFlopsPerSample: number;
  forwardFlopsPerSample: number;
  /** Effective training GFLOP/s by row name (engines and peer): samples/s x FLOPs per sample. */
  trainGflops: Record<string, number>;
  /** The lab's wasm convolution kernel on one thread (null when wasm was not measured). */
  wasmConv: KernelSpeed | null;
  /**
   * Training samples/s if every FLOP ran at that kernel speed on every core:
   * an optimistic bound (no element-wise work, no contention between cores);
   * null without the kernel figure.
   */
  wasmBoundSamplesPerS: number | null;
  /** That bound over the peer's measured train samples/s. */
  wasmBoundVsPeer: number | null;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * Engine over peer, segment by segment (each engine segment is paired with the
 * peer segment timed right after it): the median ratio and the range; null
 * when there are no pairs.
 */
export function segmentRatio(mine: number[] | undefined, theirs: number[]): { median: number; range: [number, number] } | null {
  const r = (mine ?? []).slice(0, theirs.length).map((v, i) => v / theirs[i]);
  return r.length ? { median: median(r), range: [Math.min(...r), Math.max(...r)] } : null;
}

function loadAvg(): number[] {
  return loadavg().map((v) => Math.round(v * 100) / 100);
}

export async function runBench(o: BenchOptions): Promise<BenchReport> {
  const say = o.onProgress ?? (() => {});
  const loadStart = loadAvg();
  // Bench compares engines: a forced engine from the environment would make every row the same one.
  delete process.env.STEERLAB_ENGINE;
  // Decode first, while this process is small: node forks to spawn ffmpeg and ffprobe, and a fork
  // blocks for the page tables of the whole heap (3 ms at 50 MB RSS, 39 ms at 546 MB, measured). The
  // lab spawns two processes per video where plain ffmpeg needs one, so after the engine rows a
  // half-second decode lost 5-10% to that alone; a real data set is decoded once, when it is opened.
  let decode: DecodeResult | null = null;
  let decodeNote: string | null = null;
  if (o.decodeFrames > 0) {
    const dir = mkdtempSync(join(tmpdir(), 'steerlab-bench-'));
    try {
      say(`synthesising a ${o.decodeFrames}-frame drive for the decode comparison`);
      const drive = await synthesizeDrive(dir, { frames: o.decodeFrames, seed: 1, width: 320, height: 160, fps: 20 });
      say('timing decode: lab pipeline vs plain ffmpeg');
      // Best of 7 rounds: a run is half a second, and this machine drifts by up to 1.5x over minutes
      // (with 3 rounds the ratio read 0.80-1.08 over six bench runs).
      decode = await measureDecode(drive.videoPath, 200, 66, 7);
    } catch (err) {
      decodeNote = (err as Error).message;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } else {
    decodeNote = 'skipped (--decode-frames 0)';
  }

  // Second, while the process is still small (it spawns ffmpeg and Python): the end-to-end cell.
  const { endToEnd, endToEndNote } = await endToEndPart(o.e2e ?? null);

  const budget = { minSteps: o.minSteps, seconds: o.seconds, segments: o.segments ?? 4 };

  // The peer process stays up through the engine rows: each engine segment is followed by
  // a peer segment of the same length, and ratios are taken segment by segment.
  let session: PeerSession | null = null;
  let peerInfo: PeerInfo | undefined;
  let peerNote: string | null = null;
  if (o.noPeer) {
    peerNote = 'skipped (--no-peer)';
  } else {
    const py = findTorchPython();
    if ('reason' in py) {
      peerNote = py.reason;
    } else {
      say('starting the PyTorch peer');
      try {
        session = await startPeer(py.python, 2);
        peerInfo = session.info;
      } catch (err) {
        peerNote = (err as Error).message;
      }
    }
  }
  const peerSegments = { train: [] as PeerSegment[], fwd: [] as PeerSegment[] };
  const pairs = new Map<EngineResult, { train: number[]; fwd: number[] }>();
  const alternate = (into: { train: number[]; fwd: number[] }, seconds: number): Between | undefined => {
    if (!session) return undefined;
    const s = session;
    return async (kind) => {
      try {
        const seg = await s.run(kind, kind === 'train' ? seconds : seconds / 2);
        into[kind].push(seg.samplesPerS);
        peerSegments[kind].push(seg);
      } catch (err) {
        peerNote = (err as Error).message;
        session = null;
      }
    };
  };

  const engines: EngineResult[] = [];
  let wasmConv: KernelSpeed | null = null;
  try {
    for (const e of probeEngines()) {
      const name: EngineName = e.name;
      if (!e.available) {
        engines.push(skipped(name, 1, `not available: ${e.reason}`));
        continue;
      }
      if (name === 'cpu' && !o.cpu) {
        engines.push(skipped(name, 1, 'skipped: the pure-JS backend needs minutes per PilotNet step; pass --cpu to time it'));
        continue;
      }
      const rows: [number, string][] = [[1, `timing ${name} (1 thread)`]];
      if (name === 'wasm' && o.workers > 1) rows.push([o.workers, `timing ${name} with ${o.workers} worker threads`]);
      for (const [workers, what] of rows) {
        say(session && name !== 'cpu' ? `${what}, alternating with the PyTorch peer` : what);
        const peerPart = { train: [] as number[], fwd: [] as number[] };
        const row = name === 'cpu'
          ? await measureEngine(name, 1, { minSteps: 1, seconds: 0 })
          : await measureEngine(name, workers, budget, alternate(peerPart, budget.seconds / budget.segments));
        pairs.set(row, peerPart);
        engines.push(row);
      }
      if (name === 'wasm') {
        say('timing the wasm convolution kernel (one thread)');
        wasmConv = await measureConvKernel();
      }
    }
  } finally {
    session?.close();
  }

  const overall = (segs: PeerSegment[]) => segs.reduce((a, g) => a + g.samplesPerS * g.seconds, 0) / segs.reduce((a, g) => a + g.seconds, 0);
  let peer: PeerResult | null = null;
  if (peerSegments.train.length > 0) {
    const info = peerInfo ?? { name: 'PyTorch peer', threads: 2, params: 0 };
    peer = {
      name: info.name, threads: info.threads, params: info.params,
      // Over all its segments, as the engine rows are: samples done / seconds spent.
      trainSamplesPerS: overall(peerSegments.train),
      fwdSamplesPerS: overall(peerSegments.fwd),
      segments: peerSegments.train.length + peerSegments.fwd.length,
    };
  }


  let diagnosticsOverhead: DiagnosticsOverhead | null = null;
  if (o.diagSteps > 0) {
    say(`timing diagnostics overhead (${o.diagSteps} steps x 18 runs)`);
    diagnosticsOverhead = await measureDiagnosticsOverhead('wasm', o.diagSteps);
  }

  const ratio = (a: number | null, b: number | undefined) => (a !== null && b ? a / b : null);
  const vsPeer = (e: EngineResult) => {
    const p = pairs.get(e);
    const t = p ? segmentRatio(e.trainSegments, p.train) : null;
    const f = p ? segmentRatio(e.fwdSegments, p.fwd) : null;
    return {
      // Rows timed without alternation (the cpu row): against the peer over all its segments.
      trainVsPeer: t?.median ?? ratio(e.trainSamplesPerS, peer?.trainSamplesPerS),
      fwdVsPeer: f?.median ?? ratio(e.fwdSamplesPerS, peer?.fwdSamplesPerS),
      ...(t ? { trainVsPeerRange: t.range } : {}),
      ...(f ? { fwdVsPeerRange: f.range } : {}),
    };
  };
  const flops = flopsOf(PILOTNET);
  const trainGflops: Record<string, number> = {};
  for (const e of engines) if (e.trainSamplesPerS !== null) trainGflops[e.name] = (e.trainSamplesPerS * flops.train) / 1e9;
  if (peer) trainGflops[peer.name] = (peer.trainSamplesPerS * flops.train) / 1e9;
  const bound = wasmConv ? (cpus().length * wasmConv.gflops * 1e9) / flops.train : null;
  return {
    date: new Date().toISOString(),
    machine: machineInfo(),
    model: { name: 'PilotNet (ELU, tanh head)', input: [66, 200, 3], batch: BATCH, optimizer: 'Adam lr 1e-3' },
    engines: engines.map((e) => ({ ...e, ...vsPeer(e) })),
    peer,
    peerNote,
    decode,
    decodeNote,
    diagnosticsOverhead,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    loadAverage: { start: loadStart, end: loadAvg() },
    work: {
      trainFlopsPerSample: flops.train,
      forwardFlopsPerSample: flops.forward,
      trainGflops,
      wasmConv,
      wasmBoundSamplesPerS: bound,
      wasmBoundVsPeer: ratio(bound, peer?.trainSamplesPerS),
    },
    endToEnd,
    endToEndNote,
  };
}

async function endToEndPart(o: E2eOptions | null): Promise<{ endToEnd: EndToEnd | null; endToEndNote: string | null }> {
  if (!o) return { endToEnd: null, endToEndNote: 'skipped (--no-e2e)' };
  try {
    return { endToEnd: await runEndToEnd(o), endToEndNote: null };
  } catch (err) {
    return { endToEnd: null, endToEndNote: (err as Error).message };
  }
}

/** `bench --e2e`: the end-to-end comparison alone, with the machine it ran on. */
export interface EndToEndReport {
  date: string;
  machine: BenchReport['machine'];
  endToEnd: EndToEnd;
}

export async function runEndToEndReport(o: E2eOptions): Promise<EndToEndReport> {
  const endToEnd = await runEndToEnd(o);
  return { date: new Date().toISOString(), machine: machineInfo(), endToEnd };
}

export function formatEndToEndReport(r: EndToEndReport): string {
  return `Steering Lab bench (end to end), ${r.date}\n${formatEndToEnd(r.endToEnd)}`;
}

function machineInfo(): BenchReport['machine'] {
  return { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: `${process.platform}-${process.arch}` };
}

const f1 = (v: number | null | undefined, unit = '') => (v === null || v === undefined ? '—' : `${v.toFixed(1)}${unit}`);
const f2 = (v: number | null | undefined, unit = '') => (v === null || v === undefined ? '—' : `${v.toFixed(2)}${unit}`);

/** The human-readable report: tables with units. */
export function formatReport(r: BenchReport): string {
  const lines: string[] = [];
  lines.push(`Steering Lab bench, ${r.date}`);
  lines.push(`machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGB} GB, Node ${r.machine.node}; load average ${r.loadAverage.start.join('/')} -> ${r.loadAverage.end.join('/')}`);
  lines.push(`model: ${r.model.name}, input ${r.model.input.join('x')}, batch ${r.model.batch}, ${r.model.optimizer}`);
  lines.push('');
  const rows: string[][] = [['engine', 'train samples/s', 'forward samples/s', 'train step ms', 'train vs peer (segment range)', 'note']];
  for (const e of r.engines) {
    const notes = [e.note, e.trainCpuMsPerStep !== undefined ? `${e.trainCpuMsPerStep.toFixed(0)} CPU-ms per step` : undefined, e.workerComputeMs !== undefined ? `a worker computes its shard in ${e.workerComputeMs.toFixed(0)} ms of each step` : undefined].filter(Boolean);
    const range = e.trainVsPeerRange ? ` (${e.trainVsPeerRange[0].toFixed(2)}-${e.trainVsPeerRange[1].toFixed(2)})` : '';
    rows.push([e.name, f1(e.trainSamplesPerS), f1(e.fwdSamplesPerS), f1(e.trainStepMs), e.trainVsPeer === null ? '—' : `${e.trainVsPeer.toFixed(2)}x${range}`, notes.join('; ')]);
  }
  if (r.peer) rows.push([r.peer.name, f1(r.peer.trainSamplesPerS), f1(r.peer.fwdSamplesPerS), f1((BATCH * 1000) / r.peer.trainSamplesPerS), '1.00x', `peer: ${r.peer.segments ?? 1} segments, each timed right after an engine segment`]);
  else rows.push(['PyTorch peer', '—', '—', '—', '—', r.peerNote ?? '']);
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  for (const row of rows) lines.push(row.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd());
  lines.push('');
  if (r.decode) {
    const d = r.decode;
    lines.push(`decode ${d.frames} frames to ${d.width}x${d.height}: lab ${f1(d.fps, ' frames/s')}, plain ffmpeg ${f1(d.ffmpegFps, ' frames/s')}, ratio ${f2(d.ratio)} (target >= 0.90)`);
  } else {
    lines.push(`decode: not measured (${r.decodeNote})`);
  }
  const o = r.diagnosticsOverhead;
  if (o) {
    lines.push(`diagnostics overhead over ${o.steps} steps: every step ${f2(o.everyStep, 'x')} (target <= 1.25), every 10 steps ${f2(o.every10, 'x')} (target <= 1.05); CPU time ${f1(o.secondsOff, ' s')} off, ${f1(o.secondsEvery10, ' s')} every 10, ${f1(o.secondsEveryStep, ' s')} every step`);
  }
  const w = r.work;
  if (w) {
    const per = Object.entries(w.trainGflops).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ');
    lines.push(`work: ${(w.trainFlopsPerSample / 1e6).toFixed(0)} MFLOP per training sample (forward ${(w.forwardFlopsPerSample / 1e6).toFixed(0)}); effective training GFLOP/s: ${per}`);
    if (w.wasmConv && w.wasmBoundSamplesPerS !== null) {
      lines.push(`wasm convolution kernel: ${w.wasmConv.gflops.toFixed(1)} GFLOP/s on one thread (${w.wasmConv.what}); every FLOP at that speed on all ${r.machine.cores} cores would train ${w.wasmBoundSamplesPerS.toFixed(0)} samples/s${w.wasmBoundVsPeer !== null ? ` = ${w.wasmBoundVsPeer.toFixed(2)}x the peer` : ''} (an optimistic bound: no element-wise work, no contention)`);
    }
  }
  if (r.endToEnd) lines.push(formatEndToEnd(r.endToEnd));
  else if (r.endToEndNote) lines.push(`end-to-end compare cell: not measured (${r.endToEndNote})`);
  lines.push(`peak RSS of the bench process: ${r.peakRssMB} MB`);
  return lines.join('\n');
}
