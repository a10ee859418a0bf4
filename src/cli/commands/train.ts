/**
 * `steerlab train --config FILE [--video V --labels L] [--workspace DIR] [--json]`:
 * one training run from a config file (RunConfig fields plus an optional
 * "data" section with video and labels), recorded in the workspace as an
 * experiment of one run, with its report.
 */
import type { Command } from 'commander';
import { addAutonomyFlags, applyAutonomyFlags } from '../autonomy-flags.ts';
import { addLabelFlags, labelOptionsFromFlags } from '../label-flags.ts';
import type { RunConfigInput } from '../../train/config.ts';
import { datasetFromPairs, pairDataPaths, readConfigFile } from './_config.ts';
import { addWorkspaceOption, jsonResult, openLab, printHuman, runWithProgress } from './_experiment.ts';
import { addTrainingOptions, applyTrainingFlags, collect, parseCrop, parseIntOpt, parseNumOpt, parseWorkers, type TrainingFlags } from './_flags.ts';
import { cancelOnSigint, createProgress } from './_progress.ts';

interface TrainOptions extends TrainingFlags {
  config?: string;
  resume?: string;
  video?: string[];
  labels?: string[];
  maxFrames?: string;
  allowFrameGaps?: boolean;
  crop?: string;
  workspace?: string;
  json?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('train')
    .description('train one steering regressor from a run config and record it in the workspace')
    .option('--config <file>', 'run config (JSON: fields of src/train/config.ts, all optional, plus "data": {video, labels, maxFrames, offsetMs, crop, labelOptions}; video and labels may be lists paired by order)')
    .option('--resume <run-dir>', 'continue a crashed, killed or cancelled run (runs/<id>) from its last epoch checkpoint')
    .option('--video <file>', 'dashcam video (overrides data.video); repeat for a data set of several videos', collect)
    .option('--labels <file>', 'steering labels (overrides data.labels); repeat, one after each --video (paired by order)', collect)
    .option('--max-frames <n>', 'use only the first N frames')
    .option('--allow-frame-gaps', 'when frames are lost mid-file and their times cannot say which, still match frame-index or image labels by decode order (later labels may shift)')
    .option('--crop <T,B,L,R>', 'source pixels cut off the top, bottom, left and right before resizing (overrides data.crop; `steerlab inspect` suggests one)')
    .option('--json', 'print one JSON object on stdout (progress stays on stderr)');
  addWorkspaceOption(cmd);
  addAutonomyFlags(cmd);
  addLabelFlags(cmd).option('--offset-ms <ms>', 'milliseconds added to label times before matching');
  addTrainingOptions(cmd).action(async (o: TrainOptions) => {
    if (o.resume) return resume(o.resume, Boolean(o.json));
    const file = o.config ? await readConfigFile(o.config) : { run: {} as RunConfigInput, data: {} };
    const crop = parseCrop(o.crop) ?? file.data.crop;
    const pairs = await pairDataPaths(o, file.data);
    const base = applyAutonomyFlags(applyTrainingFlags({ ...file.run, name: file.run.name ?? 'train' }, o), o);
    const { RunConfig } = await import('../../train/config.ts');
    const input = RunConfig.parse(base).model.input;
    const { summary, report } = await runWithProgress({
      dataset: datasetFromPairs(pairs, {
        input: { width: input.width, height: input.height },
        maxFrames: parseIntOpt(o.maxFrames, 'max-frames', 2) ?? file.data.maxFrames,
        offsetMs: parseNumOpt(o.offsetMs, 'offset-ms') ?? file.data.offsetMs, maxGapMs: file.data.maxGapMs, crop,
        allowFrameGaps: o.allowFrameGaps ?? file.data.allowFrameGaps,
        labelOptions: { ...file.data.labelOptions, ...labelOptionsFromFlags(o) },
      }),
      base,
      axes: {},
      workspace: o.workspace,
      name: base.name,
      workers: parseWorkers(o.workers),
    });
    if (o.json) process.stdout.write(JSON.stringify(jsonResult(summary, report, report.comparison)) + '\n');
    else printHuman(summary, report);
  });
}

/** `--resume`: the run's own config and data set; progress on stderr; then the report of its experiment. */
async function resume(runDir: string, json: boolean): Promise<void> {
  const { readRun } = await import('../../experiments/store.ts');
  const { dirname, join } = await import('node:path');
  const { existsSync } = await import('node:fs');
  const run = readRun(runDir);
  // The run's own workspace (runs/<id> sits in it), whatever --workspace says.
  const lab = await openLab(dirname(dirname(run.dir)));
  const cancel = cancelOnSigint();
  const progress = await createProgress();
  let result;
  try {
    // The worker count the run had (run.json), so the resumed run repeats the uninterrupted one.
    result = await lab.resumeRun(runDir, { signal: cancel.signal, onEvent: progress.onEvent });
  } finally {
    progress.stop();
    cancel.dispose();
  }
  const expDir = run.meta?.experimentId ? join(lab.paths.experiments, run.meta.experimentId) : null;
  const report = lab.reports.publish(expDir && existsSync(expDir) ? expDir : run.dir);
  if (result.status === 'cancelled') process.exitCode = 130;
  if (json) process.stdout.write(JSON.stringify({ runId: run.id, dir: run.dir, result, report: report.paths, conclusions: report.comparison.conclusions }) + '\n');
  else {
    process.stdout.write(report.markdown + '\n');
    process.stdout.write(`resumed run: ${run.dir} (${result.status}, ${result.epochs} epochs)\nreport: ${report.paths.html}\n`);
  }
}
