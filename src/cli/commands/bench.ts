/**
 * `steerlab bench [--json]`: speed of each engine on PilotNet beside the
 * PyTorch peer, decode speed against plain ffmpeg, diagnostics overhead and
 * peak memory, and one `compare` cell end to end against the same loop in
 * PyTorch (bench/index.ts, bench/e2e.ts); `--e2e` runs only that comparison,
 * `--memory` only the long-cache memory check, `--quick` tiny sizes (smoke).
 */
import type { Command } from 'commander';
import { UserError } from '../../errors.ts';

function num(name: string, min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new UserError(`--${name} must be a number >= ${min} (got "${v}")`);
    return n;
  };
}

interface BenchOpts {
  json?: boolean; seconds: number; segments: number; minSteps: number; diagSteps: number; decodeFrames: number; workers: number; cpu?: boolean; peer: boolean;
  memory?: boolean; memoryFrames: number; quick?: boolean;
  /** true (--e2e): only the end-to-end comparison; false (--no-e2e): the full bench without it; undefined: the full bench. */
  e2e?: boolean; e2eFrames?: number; e2eEpochs?: number; e2eRounds?: number;
}

/** --quick: the smallest sizes that still run every part, for options left at their defaults. */
const QUICK: Partial<Record<keyof BenchOpts, number>> = { seconds: 0.5, segments: 1, minSteps: 1, diagSteps: 0, decodeFrames: 60 };

function applyQuick(opts: BenchOpts, cmd: Command): void {
  for (const [k, v] of Object.entries(QUICK)) {
    if (cmd.getOptionValueSource(k) === 'default') (opts as unknown as Record<string, number>)[k] = v as number;
  }
}

export function register(program: Command): void {
  program
    .command('bench')
    .description('measure training/inference speed per engine vs a PyTorch peer, decode speed vs ffmpeg, diagnostics cost and memory')
    .option('--json', 'print one JSON object on stdout')
    .option('--seconds <s>', 'seconds per speed measurement', num('seconds', 0), 10)
    .option('--segments <n>', 'segments per measurement, each followed by a PyTorch peer segment', num('segments', 1), 4)
    .option('--min-steps <n>', 'minimum timed training steps per engine', num('min-steps', 1), 5)
    .option('--diag-steps <n>', 'training steps per diagnostics-overhead run, 18 runs (0 = skip)', num('diag-steps', 0), 20)
    .option('--decode-frames <n>', 'frames of the synthetic drive for the decode comparison (0 = skip)', num('decode-frames', 0), 1000)
    .option('--workers <n>', 'worker threads for the data-parallel wasm row', num('workers', 1), 2)
    .option('--cpu', 'also time the pure-JS cpu backend (minutes per step)')
    .option('--no-peer', 'skip the PyTorch peer')
    .option('--memory', 'instead: train from a long cached data set and report peak memory')
    .option('--memory-frames <n>', 'frames in the cached set for --memory', num('memory-frames', 100), 45000)
    .option('--e2e', 'instead: only the end-to-end comparison (one compare cell against the same loop in PyTorch)')
    .option('--no-e2e', 'skip the end-to-end comparison in the full bench')
    .option('--e2e-frames <n>', 'frames of the synthetic drive for the end-to-end cell', num('e2e-frames', 100))
    .option('--e2e-epochs <n>', 'epochs of the end-to-end cell', num('e2e-epochs', 1))
    .option('--e2e-rounds <n>', 'end-to-end rounds (each one lab cell and one PyTorch cell, alternating who goes first)', num('e2e-rounds', 1))
    .option('--quick', 'tiny sizes for a smoke test (seconds, not a measurement): explicit options still win')
    .action(async (opts: BenchOpts, cmd: Command) => {
      const progress = (what: string) => {
        if (!opts.json || process.stderr.isTTY) process.stderr.write(`bench: ${what}\n`);
      };
      if (opts.quick) applyQuick(opts, cmd);
      const { E2E_DEFAULT, E2E_QUICK } = await import('../../../bench/e2e.ts');
      const size = opts.quick ? E2E_QUICK : E2E_DEFAULT;
      const e2e = {
        frames: Math.floor(opts.e2eFrames ?? size.frames), epochs: Math.floor(opts.e2eEpochs ?? size.epochs), rounds: Math.floor(opts.e2eRounds ?? size.rounds),
        noPeer: !opts.peer, onProgress: progress,
      };
      if (opts.e2e === true) {
        const { runEndToEndReport, formatEndToEndReport } = await import('../../../bench/index.ts');
        const r = await runEndToEndReport(e2e);
        process.stdout.write(opts.json ? `${JSON.stringify(r)}\n` : `${formatEndToEndReport(r)}\n`);
        return;
      }
      if (opts.memory) {
        const { runMemoryCheck, formatMemory } = await import('../../../bench/memory.ts');
        const r = await runMemoryCheck({ frames: opts.memoryFrames, onProgress: progress });
        process.stdout.write(opts.json ? `${JSON.stringify(r)}\n` : `${formatMemory(r)}\n`);
        return;
      }
      const { runBench, formatReport } = await import('../../../bench/index.ts');
      const report = await runBench({
        seconds: opts.seconds, segments: Math.floor(opts.segments), minSteps: opts.minSteps, diagSteps: Math.floor(opts.diagSteps), decodeFrames: Math.floor(opts.decodeFrames),
        cpu: !!opts.cpu, noPeer: !opts.peer, workers: Math.floor(opts.workers), onProgress: progress, e2e: opts.e2e === false ? null : e2e,
      });
      process.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : `${formatReport(report)}\n`);
    });
}
