/**
 * `steerlab synth --out DIR [--frames N] [--seed S] [--size HxW] [--fps F] [--json]`:
 * renders the synthetic dashcam drive (synth.mp4 + labels.csv). A progress
 * bar with ETA goes to stderr; with --json, stdout holds one JSON object.
 */
import type { Command } from 'commander';
import { UserError } from '../../errors.ts';

/**
 * Parses "HxW" (e.g. 160x320: 160 px high, 320 px wide), the order of
 * --input and of every size the lab prints. Earlier releases read --size as
 * WIDTHxHEIGHT; a dashcam frame is never taller than wide, so a size that
 * reads as taller than wide is taken as that old form, with a `deprecation`
 * sentence for stderr.
 */
export function parseSize(s: string): { width: number; height: number; deprecation?: string } {
  const m = /^(\d+)x(\d+)$/i.exec(s.trim());
  if (!m) throw new UserError(`--size expects HEIGHTxWIDTH in pixels, e.g. 160x320 (got "${s}")`);
  const [a, b] = [Number(m[1]), Number(m[2])];
  if (a <= b) return { height: a, width: b };
  return {
    width: a,
    height: b,
    deprecation: `--size ${s.trim()} is read as the old WIDTHxHEIGHT form (${b} px high, ${a} px wide); --size is HEIGHTxWIDTH now, as --input: write --size ${b}x${a}`,
  };
}

function int(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new UserError(`${name} expects a whole number (got "${v}")`);
  return n;
}

interface SynthFlags {
  out: string;
  frames?: string;
  seed?: string;
  size?: string;
  fps?: string;
  scenery?: boolean;
  json?: boolean;
}

/** Registers `steerlab synth`. */
export function register(program: Command): void {
  program
    .command('synth')
    .description('render the synthetic dashcam drive: DIR/synth.mp4 (H.264) and DIR/labels.csv (frame_index,timestamp_s,steering_deg)')
    .requiredOption('--out <dir>', 'output folder (created if missing)')
    .option('--frames <n>', 'number of frames (default 3000)')
    .option('--seed <s>', 'random seed: same seed, same labels (default 1)')
    .option('--size <HxW>', 'frame height x width in pixels, even numbers, not taller than wide (default 160x320)')
    .option('--fps <f>', 'frames per second (default 20)')
    .option('--scenery', 'add distant hills and trees that slide sideways as the car turns (what `steerlab lag` measures); off by default')
    .option('--json', 'print one JSON object on stdout')
    .action(runSynth);
}

/** Renders the drive with a progress bar on stderr; Ctrl-C stops it and keeps no partial video. */
async function runSynth(o: SynthFlags): Promise<void> {
  const { DEMO_DRIVE, synthesizeDrive } = await import('../../synth/index.ts');
  const parsed = o.size ? parseSize(o.size) : undefined;
  if (parsed?.deprecation) process.stderr.write(`deprecated: ${parsed.deprecation}\n`);
  const size = parsed ? { width: parsed.width, height: parsed.height } : { width: DEMO_DRIVE.width, height: DEMO_DRIVE.height };
  const opts = {
    frames: o.frames ? int('--frames', o.frames) : DEMO_DRIVE.frames,
    seed: o.seed ? int('--seed', o.seed) : DEMO_DRIVE.seed,
    fps: o.fps ? Number(o.fps) : DEMO_DRIVE.fps,
    ...size,
    ...(o.scenery && { scenery: true }),
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
    await printSummary(r, opts, (performance.now() - t0) / 1000, o.json === true);
  } catch (e) {
    if (started) bar.stop();
    if (ac.signal.aborted) throw new UserError('synth interrupted; no partial video was kept', 130);
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** What was written, the steering range in degrees and the time taken: one JSON object, or two lines. */
async function printSummary(
  r: { videoPath: string; labelsPath: string; frames: number },
  opts: { frames: number; seed: number; fps: number; width: number; height: number },
  seconds: number,
  json: boolean,
): Promise<void> {
  const { simulate } = await import('../../synth/index.ts');
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
  if (json) process.stdout.write(JSON.stringify(summary) + '\n');
  else {
    process.stdout.write(
      `wrote ${r.videoPath} (${r.frames} frames, ${opts.height}x${opts.width} px (HxW), ${opts.fps} fps) and ${r.labelsPath}\n` +
        `steering ${summary.minDeg} deg to ${summary.maxDeg} deg; took ${summary.seconds} s (${(r.frames / seconds).toFixed(0)} frames/s)\n`,
    );
  }
}
