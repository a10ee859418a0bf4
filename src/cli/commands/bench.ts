/**
 * `steerlab bench [--json]`: speed of each engine on PilotNet beside the
 * PyTorch peer, decode speed against plain ffmpeg, diagnostics overhead and
 * peak memory (bench/index.ts); `--memory` runs the long-cache memory check.
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
    .action(async (opts: { json?: boolean; seconds: number; segments: number; minSteps: number; diagSteps: number; decodeFrames: number; workers: number; cpu?: boolean; peer: boolean; memory?: boolean; memoryFrames: number }) => {
      const progress = (what: string) => {
        if (!opts.json || process.stderr.isTTY) process.stderr.write(`bench: ${what}\n`);
      };
      if (opts.memory) {
        const { runMemoryCheck, formatMemory } = await import('../../../bench/memory.ts');
        const r = await runMemoryCheck({ frames: opts.memoryFrames, onProgress: progress });
        process.stdout.write(opts.json ? `${JSON.stringify(r)}\n` : `${formatMemory(r)}\n`);
        return;
      }
      const { runBench, formatReport } = await import('../../../bench/index.ts');
      const report = await runBench({
        seconds: opts.seconds, segments: Math.floor(opts.segments), minSteps: opts.minSteps, diagSteps: Math.floor(opts.diagSteps), decodeFrames: Math.floor(opts.decodeFrames),
        cpu: !!opts.cpu, noPeer: !opts.peer, workers: Math.floor(opts.workers), onProgress: progress,
      });
      process.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : `${formatReport(report)}\n`);
    });
}
