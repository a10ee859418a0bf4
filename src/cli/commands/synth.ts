/**
 * `steerlab synth --out DIR [--frames N] [--seed S] [--size WxH] [--fps F] [--json]`:
 * renders the synthetic dashcam drive (synth.mp4 + labels.csv). A progress
 * bar with ETA goes to stderr; with --json, stdout holds one JSON object.
 */
import type { Command } from 'commander';
import { UserError } from '../../errors.ts';

/** Parses "WxH" (e.g. 320x160) into whole pixels. */
export function parseSize(s: string): { width: number; height: number } {
  const m = /^(\d+)x(\d+)$/i.exec(s.trim());
  if (!m) throw new UserError(`--size expects WIDTHxHEIGHT in pixels, e.g. 320x160 (got "${s}")`);
  return { width: Number(m[1]), height: Number(m[2]) };
}

function int(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new UserError(`${name} expects a whole number (got "${v}")`);
  return n;
}

export function register(program: Command): void {
  program
    .command('synth')
    .description('render the synthetic dashcam drive: DIR/synth.mp4 (H.264) and DIR/labels.csv (frame_index,timestamp_s,steering_deg)')
    .requiredOption('--out <dir>', 'output folder (created if missing)')
    .option('--frames <n>', 'number of frames (default 3000)')
    .option('--seed <s>', 'random seed: same seed, same labels (default 1)')
    .option('--size <WxH>', 'frame size in pixels, even numbers (default 320x160)')
    .option('--fps <f>', 'frames per second (default 20)')
    .option('--json', 'print one JSON object on stdout')
    .action(async (o: { out: string; frames?: string; seed?: string; size?: string; fps?: string; json?: boolean }) => {
      const { DEMO_DRIVE, synthesizeDrive, simulate } = await import('../../synth/index.ts');
      const size = o.size ? parseSize(o.size) : { width: DEMO_DRIVE.width, height: DEMO_DRIVE.height };
      const opts = {
        frames: o.frames ? int('--frames', o.frames) : DEMO_DRIVE.frames,
        seed: o.seed ? int('--seed', o.seed) : DEMO_DRIVE.seed,
        fps: o.fps ? Number(o.fps) : DEMO_DRIVE.fps,
        ...size,
      };
      const cliProgress = (await import('cli-progress')).default;
      const bar = new cliProgress.SingleBar(
        { stream: process.stderr, format: 'synth  [{bar}] {value}/{total} frames | ETA {eta_formatted}', hideCursor: true, clearOnComplete: false },
        cliProgress.Presets.shades_classic,
      );
      const ac = new AbortController();
      const onSigint = () => ac.abort();
      process.once('SIGINT', onSigint);
      const t0 = performance.now();
      let started = false;
      try {
        const r = await synthesizeDrive(o.out, {
          ...opts,
          signal: ac.signal,
          onProgress: (p) => {
            if (!started) bar.start(p.total, 0);
            started = true;
            bar.update(p.done);
          },
        });
        if (started) bar.stop();
        const seconds = (performance.now() - t0) / 1000;
        const angles = simulate(opts).map((s) => s.steeringDeg);
        let min = Infinity;
        let max = -Infinity;
        for (const a of angles) {
          if (a < min) min = a;
          if (a > max) max = a;
        }
        const summary = {
          videoPath: r.videoPath,
          labelsPath: r.labelsPath,
          frames: r.frames,
          width: opts.width,
          height: opts.height,
          fps: opts.fps,
          seed: opts.seed,
          minDeg: Number(min.toFixed(3)),
          maxDeg: Number(max.toFixed(3)),
          seconds: Number(seconds.toFixed(2)),
        };
        if (o.json) process.stdout.write(JSON.stringify(summary) + '\n');
        else {
          process.stdout.write(
            `wrote ${r.videoPath} (${r.frames} frames, ${opts.width}x${opts.height} px, ${opts.fps} fps) and ${r.labelsPath}\n` +
              `steering ${summary.minDeg} deg to ${summary.maxDeg} deg; took ${summary.seconds} s (${(r.frames / seconds).toFixed(0)} frames/s)\n`,
          );
        }
      } catch (e) {
        if (started) bar.stop();
        if (ac.signal.aborted) throw new UserError('synth interrupted; no partial video was kept', 130);
        throw e;
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
}
