/**
 * `steerlab train --config FILE [--video V --labels L] [--workspace DIR] [--json]`:
 * one training run from a config file (RunConfig fields plus an optional
 * "data" section with video and labels), recorded in the workspace as an
 * experiment of one run, with its report.
 */
import type { Command } from 'commander';
import { addLabelFlags, labelOptionsFromFlags } from '../../data/label-flags.ts';
import type { RunConfigInput } from '../../train/config.ts';
import {
  addTrainingOptions, applyTrainingFlags, cancelOnSigint, collect, datasetFromPairs, createProgress, DEFAULT_WORKSPACE, jsonResult, pairDataPaths, parseCrop, parseIntOpt,
  parseNumOpt, printHuman, readConfigFile, runWithProgress, type TrainingFlags,
} from './_experiment.ts';

interface TrainOptions extends TrainingFlags {
  config?: string;
  resume?: string;
  video?: string[];
  labels?: string[];
  maxFrames?: string;
  crop?: string;
  workspace: string;
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
    .option('--crop <T,B,L,R>', 'source pixels cut off the top, bottom, left and right before resizing (overrides data.crop; `steerlab inspect` suggests one)')
    .option('--workspace <dir>', 'where runs, experiments and the frame cache are stored', DEFAULT_WORKSPACE)
    .option('--json', 'print one JSON object on stdout (progress stays on stderr)');
  addLabelFlags(cmd).option('--offset-ms <ms>', 'milliseconds added to label times before matching');
  addTrainingOptions(cmd).action(async (o: TrainOptions) => {
    if (o.resume) return resume(o.resume, Boolean(o.json));
    const file = o.config ? await readConfigFile(o.config) : { run: {} as RunConfigInput, data: {} };
    const crop = parseCrop(o.crop) ?? file.data.crop;
    const pairs = await pairDataPaths(o, file.data);
    const base = applyTrainingFlags({ ...file.run, name: file.run.name ?? 'train' }, o);
    const { RunConfig } = await import('../../train/config.ts');
    const input = RunConfig.parse(base).model.input;
    const { summary, report } = await runWithProgress({
      dataset: datasetFromPairs(pairs, {
        input: { width: input.width, height: input.height },
        maxFrames: parseIntOpt(o.maxFrames, 'max-frames', 2) ?? file.data.maxFrames,
        offsetMs: parseNumOpt(o.offsetMs, 'offset-ms') ?? file.data.offsetMs, maxGapMs: file.data.maxGapMs, crop,
        labelOptions: { ...file.data.labelOptions, ...labelOptionsFromFlags(o) },
      }),
      base,
      axes: {},
      workspace: o.workspace,
      name: base.name,
    });
    if (o.json) process.stdout.write(JSON.stringify(jsonResult(summary, report, report.comparison)) + '\n');
    else printHuman(summary, report);
  });
}

/** `--resume`: the run's own config and data set; progress on stderr; then the report of its experiment. */
async function resume(runDir: string, json: boolean): Promise<void> {
  const { resumeRun } = await import('../../experiments/runner.ts');
  const { publishReport } = await import('../../experiments/publish.ts');
  const { readRun } = await import('../../experiments/store.ts');
  const { dirname, join } = await import('node:path');
  const { existsSync } = await import('node:fs');
  const cancel = cancelOnSigint();
  const progress = await createProgress();
  let result;
  try {
    result = await resumeRun(runDir, { signal: cancel.signal, onEvent: progress.onEvent });
  } finally {
    progress.stop();
    cancel.dispose();
  }
  const run = readRun(runDir);
  const expDir = run.meta?.experimentId ? join(dirname(dirname(run.dir)), 'experiments', run.meta.experimentId) : null;
  const report = publishReport(expDir && existsSync(expDir) ? expDir : run.dir);
  if (result.status === 'cancelled') process.exitCode = 130;
  if (json) process.stdout.write(JSON.stringify({ runId: run.id, dir: run.dir, result, report: report.paths, conclusions: report.comparison.conclusions }) + '\n');
  else {
    process.stdout.write(report.markdown + '\n');
    process.stdout.write(`resumed run: ${run.dir} (${result.status}, ${result.epochs} epochs)\nreport: ${report.paths.html}\n`);
  }
}
