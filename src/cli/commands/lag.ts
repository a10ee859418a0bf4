/**
 * `steerlab lag --video V [--labels L] [label flags] [--json]`: the
 * label-lag doctor. Estimates how many milliseconds the steering labels are
 * out of step with the video, from the video itself (no model): the upper
 * picture's sideways slide between frames (the camera's yaw) against the
 * steering, over offsets of +-1 s. Prints the offset, how sure it is, the
 * score curve, and the --offset-ms to train with.
 */
import type { Command } from 'commander';
import { addLabelFlags, labelOptionsFromFlags } from '../label-flags.ts';
import { IN_STEP_MS } from '../../data/lag.ts';
import { UserError } from '../../errors.ts';
import type { LabelOptions } from '../../data/types.ts';
import { suggestedOffsetMs } from '../../data/lag.ts';
import type { LagReport } from '../../video/lag-doctor.ts';
import type { Crop } from '../../video/types.ts';
import { addWorkspaceOption } from './_experiment.ts';
import { parseCrop, parseNumOpt } from './_flags.ts';
import { sparkline } from './_inspect-crop.ts';

interface LagFlags extends Record<string, unknown> {
  video: string;
  labels?: string;
  crop?: string;
  maxLagMs?: string;
  band?: string;
  workspace?: string;
  json?: boolean;
}

/** "--band 0,0.4": top and bottom of the measured rows as fractions of the height. */
export function parseBand(v: string | undefined): { bandTop: number; bandBottom: number } | undefined {
  if (v === undefined) return undefined;
  const m = /^\s*([0-9.]+)\s*,\s*([0-9.]+)\s*$/.exec(v);
  const [top, bottom] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
  if (!(top >= 0 && bottom <= 1 && bottom > top)) throw new UserError(`--band expects TOP,BOTTOM as fractions of the height with 0 <= TOP < BOTTOM <= 1, e.g. 0,0.4 (got "${v}")`);
  return { bandTop: top, bandBottom: bottom };
}

/** Registers `steerlab lag`. */
export function register(program: Command): void {
  const cmd = program
    .command('lag')
    .description('estimate how far the steering labels are out of step with the video, from the picture alone (no model): prints the --offset-ms to use')
    .requiredOption('--video <source>', 'video file, image folder, or numbered image sequence')
    .option('--labels <file>', 'label file or folder (default: the image folder\'s own)');
  addLabelFlags(cmd)
    .option('--crop <T,B,L,R>', 'source pixels cut off the top, bottom, left and right before measuring (e.g. a bonnet or a logo)')
    .option('--max-lag-ms <ms>', 'largest offset searched either way (default 1000)')
    .option('--band <top,bottom>', 'rows measured, as fractions of the (cropped) height: distant scenery above the horizon (default 0,0.4)');
  addWorkspaceOption(cmd, 'the frame cache').option('--json', 'print one JSON object on stdout').action(async (o: LagFlags) => {
    const report = await runLag(o);
    process.stdout.write((o.json ? JSON.stringify(lagJson(report)) : lagLines(report).join('\n')) + '\n');
  });
}

async function runLag(o: LagFlags): Promise<LagReport> {
  // Flags first, so a bad flag is the error shown rather than a decode.
  const labelOptions = labelOptionsFromFlags(o);
  const crop = parseCrop(o.crop);
  const maxLagMs = parseNumOpt(o.maxLagMs, 'max-lag-ms');
  if (maxLagMs !== undefined && !(maxLagMs >= 50 && maxLagMs <= 10_000)) throw new UserError(`--max-lag-ms must be between 50 and 10000 (got ${maxLagMs})`);
  const band = parseBand(o.band);
  const { resolveWorkspace } = await import('../../lab/workspace.ts');
  const { join } = await import('node:path');
  const { diagnoseLag } = await import('../../video/lag-doctor.ts');
  const { cancelOnSigint } = await import('./_progress.ts');
  const cancel = cancelOnSigint();
  try {
    return await diagnoseLag(
      { source: o.video, labels: o.labels, labelOptions, crop },
      { cacheDir: join(resolveWorkspace(o.workspace), 'cache'), signal: cancel.signal, maxLagMs, ...band },
    );
  } finally {
    cancel.dispose();
  }
}

/** The report as JSON: `{ offsetMs, confidence, curve: [{ offsetMs, score }] }` first, then the details. */
export function lagJson(r: LagReport): Record<string, unknown> {
  const { offsetMs, confidence, curve, ...rest } = r;
  const suggested = suggestedOffsetMs(r);
  return { offsetMs, confidence, ...rest, suggestedFlag: suggested === null ? null : `--offset-ms ${suggested}`, curve };
}

/** The report as the lines `lag` prints (and `inspect --lag` appends). */
export function lagLines(r: LagReport): string[] {
  const scores = r.curve.map((p) => p.score);
  const lo = Math.min(...scores);
  const first = r.curve[0]?.offsetMs ?? 0;
  const last = r.curve[r.curve.length - 1]?.offsetMs ?? 0;
  const lines: string[] = [];
  if (r.offsetMs === null) {
    lines.push(`lag        no evidence: ${r.reason}; leave --offset-ms as it is`);
    lines.push('           (yaw shows as distant scenery sliding sideways: a featureless sky or a static picture gives nothing to measure)');
  } else {
    lines.push(
      r.inStep
        ? `lag        in step: best offset ${r.offsetMs} ms, within ${IN_STEP_MS} ms of 0 (a car's yaw trails its wheel by about that much); keep --offset-ms 0`
        : `lag        add ${r.offsetMs} ms to the label times: --offset-ms ${r.offsetMs}`,
    );
    lines.push(
      `confidence ${r.confidence.toFixed(2)} (${r.evidence}): the picture's sideways motion follows the steering with correlation ${r.peakScore.toFixed(2)}; ` +
        `leaving out each tenth of the drive moves the estimate by about ${r.uncertaintyMs} ms`,
    );
  }
  lines.push(`curve      ${sparkline(scores.map((s) => s - lo), 41)} score per offset, ${first} ms .. ${last} ms (${r.samples} moments, ${r.movingPairs} of ${r.pairs} frame pairs moving)`);
  if (r.offsetMs !== null && !r.inStep && r.matchedBy !== 'time') {
    lines.push(
      `note       these labels are matched by ${r.matchedBy === 'frame' ? 'frame index' : 'image name'}, which --offset-ms does not shift; ` +
        'match them by time (--time-column NAME) to apply the offset',
    );
  }
  lines.push(...r.warnings.map((w) => `warning    ${w}`));
  return lines;
}

/**
 * The lag doctor as a section of `inspect --lag`: its JSON (or `{ error }`)
 * and lines. A drive it cannot measure is a line, not a failed inspect.
 */
export async function lagSection(source: string, labels: string | undefined, labelOptions: LabelOptions, crop: Crop | undefined): Promise<{ json: unknown; lines: string[] }> {
  if (!labels) return { json: null, lines: ['lag        needs labels (pass --labels FILE)'] };
  const { resolveWorkspace } = await import('../../lab/workspace.ts');
  const { join } = await import('node:path');
  const { diagnoseLag } = await import('../../video/lag-doctor.ts');
  try {
    const r = await diagnoseLag({ source, labels, labelOptions, crop }, { cacheDir: join(resolveWorkspace(), 'cache') });
    return { json: lagJson(r), lines: lagLines(r) };
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    return { json: { error: e.message }, lines: [`lag        ${e.message}`] };
  }
}
