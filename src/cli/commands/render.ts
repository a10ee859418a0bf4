/**
 * `steerlab render RUN_DIR --out drive.mp4 [--from S --to S] [--saliency] [--method M] [--json]`:
 * the prediction video of a trained run (true and predicted steering
 * wheels, an error bar, optionally the saliency map), H.264 by ffmpeg.
 * Progress on stderr, Ctrl-C cancels (no file is left). The work is in
 * src/render.
 */
import type { Command } from 'commander';
import { CancelledError, UserError } from '../../errors.ts';
import { cancelOnSigint, fmtS } from './_progress.ts';

interface RenderFlags {
  out: string;
  from?: string;
  to?: string;
  saliency?: boolean;
  method: string;
  json?: boolean;
}

/** Seconds on the drive's time axis: a number >= 0. */
function parseSeconds(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new UserError(`--${name} must be a time in seconds, 0 or more (got '${v}')`);
  return n;
}

/** Progress on stderr: one rewritten line on a terminal, a line per 10% otherwise. */
function progressPrinter(): (p: { done: number; total: number; etaS: number | null }) => void {
  const tty = Boolean(process.stderr.isTTY);
  let lastTenth = -1;
  return (p) => {
    const pct = Math.floor((100 * p.done) / p.total);
    const line = `render: ${p.done}/${p.total} frames (${pct}%), ETA ${fmtS(p.etaS)}`;
    if (tty) process.stderr.write(`\r${line}${p.done === p.total ? '\n' : ''}`);
    else if (Math.floor(pct / 10) > lastTenth) {
      lastTenth = Math.floor(pct / 10);
      process.stderr.write(line + '\n');
    }
  };
}

export function register(program: Command): void {
  program
    .command('render')
    .description('render a trained run\'s prediction video: the drive with true and predicted steering wheels and an error bar (H.264)')
    .argument('<run-dir>', 'a trained run folder (runs/<id>, with model/ exported)')
    .requiredOption('--out <file>', 'output video, e.g. drive.mp4')
    .option('--from <s>', 'start of the range in seconds on the drive\'s time axis (default: its start)')
    .option('--to <s>', 'end of the range in seconds, exclusive (default: its end)')
    .option('--saliency', 'draw the saliency map over each frame')
    .option('--method <name>', 'saliency method with --saliency: visualbackprop or gradcam', 'visualbackprop')
    .option('--json', 'print the result (file, frames, fps, duration, time per frame) as one JSON object')
    .action(async (runDir: string, o: RenderFlags) => {
      const method = o.method.toLowerCase().replace(/[-_]/g, '');
      if (method !== 'visualbackprop' && method !== 'gradcam') throw new UserError(`unknown --method '${o.method}'; use visualbackprop or gradcam`);
      const fromS = parseSeconds(o.from, 'from');
      const toS = parseSeconds(o.to, 'to');
      const { renderDrive } = await import('../../render/drive-video.ts');
      const cancel = cancelOnSigint();
      try {
        const r = await renderDrive(runDir, { out: o.out, fromS, toS, saliency: o.saliency ? method : null, signal: cancel.signal, onProgress: progressPrinter() });
        if (o.json) process.stdout.write(JSON.stringify(r) + '\n');
        else {
          process.stdout.write(`${r.out}: ${r.frames} frames at ${r.fps} fps (${r.durationS.toFixed(2)} s, ${r.fromS.toFixed(2)} s to ${r.toS.toFixed(2)} s of the drive), ${r.width}x${r.height} px\n`);
          process.stdout.write(`rendered in ${r.wallS.toFixed(1)} s (${r.msPerFrame.toFixed(1)} ms per frame, engine ${r.engine})\n`);
        }
      } catch (e) {
        if (!(e instanceof CancelledError)) throw e;
        process.stderr.write('\nsteerlab: render cancelled; no video was written\n');
        process.exitCode = 130;
      } finally {
        cancel.dispose();
      }
    });
}
