/**
 * `steerlab train --config FILE [--video V --labels L] [--workspace DIR] [--json]`:
 * one training run from a config file (RunConfig fields plus an optional
 * "data" section with video and labels), recorded in the workspace as an
 * experiment of one run, with its report.
 */
import type { Command } from 'commander';
import type { RunConfigInput } from '../../train/config.ts';
import {
  addTrainingOptions, applyTrainingFlags, checkDataPaths, DEFAULT_WORKSPACE, jsonResult, parseIntOpt, printHuman, readConfigFile,
  runWithProgress, type TrainingFlags,
} from './_experiment.ts';

interface TrainOptions extends TrainingFlags {
  config?: string;
  video?: string;
  labels?: string;
  maxFrames?: string;
  workspace: string;
  json?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('train')
    .description('train one steering regressor from a run config and record it in the workspace')
    .option('--config <file>', 'run config (JSON: fields of src/train/config.ts, all optional, plus "data": {video, labels, maxFrames, offsetMs, labelOptions})')
    .option('--video <file>', 'dashcam video (overrides data.video)')
    .option('--labels <file>', 'steering labels (overrides data.labels)')
    .option('--max-frames <n>', 'use only the first N frames')
    .option('--workspace <dir>', 'where runs, experiments and the frame cache are stored', DEFAULT_WORKSPACE)
    .option('--json', 'print one JSON object on stdout (progress stays on stderr)');
  addTrainingOptions(cmd).action(async (o: TrainOptions) => {
    const file = o.config ? await readConfigFile(o.config) : { run: {} as RunConfigInput, data: {} };
    const labels = o.labels ?? file.data.labels;
    const video = await checkDataPaths(o.video ?? file.data.video, labels);
    const base = applyTrainingFlags({ ...file.run, name: file.run.name ?? 'train' }, o);
    const { RunConfig } = await import('../../train/config.ts');
    const input = RunConfig.parse(base).model.input;
    const { summary, report } = await runWithProgress({
      dataset: {
        source: video, labels, input: { width: input.width, height: input.height },
        maxFrames: parseIntOpt(o.maxFrames, 'max-frames', 2) ?? file.data.maxFrames,
        offsetMs: file.data.offsetMs, maxGapMs: file.data.maxGapMs, crop: file.data.crop, labelOptions: file.data.labelOptions,
      },
      base,
      axes: {},
      workspace: o.workspace,
      name: base.name,
    });
    if (o.json) process.stdout.write(JSON.stringify(jsonResult(summary, report, report.comparison)) + '\n');
    else printHuman(summary, report);
  });
}
