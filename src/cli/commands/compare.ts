/**
 * `steerlab compare --video V --labels L [--heads linear,tanh] [--targets raw,normalized] ...`:
 * trains one run per (head, targets) pair, and per model seed with --seeds, on one split, prints
 * the comparison table with the zero and mean predictors, and writes the
 * HTML report. With --json, stdout is one JSON object.
 */
import type { Command } from 'commander';
import { addLabelFlags, labelOptionsFromFlags } from '../../data/label-flags.ts';
import type { RunConfigInput } from '../../train/config.ts';
import {
  addTrainingOptions, applyTrainingFlags, collect, datasetFromPairs, DEFAULT_WORKSPACE, HEADS, jsonResult, pairDataPaths, parseCrop, parseIntOpt, parseList, parseNumOpt, printHuman,
  readConfigFile, runWithProgress, seedList, TARGETS, type TrainingFlags,
} from './_experiment.ts';
import { referenceJson, referenceText, referenceWithProgress } from './reference.ts';

interface CompareOptions extends TrainingFlags {
  video?: string[];
  labels?: string[];
  config?: string;
  heads: string;
  targets: string;
  maxFrames?: string;
  workspace: string;
  name?: string;
  json?: boolean;
  seeds?: string;
  crop?: string;
  reference?: boolean;
  python?: string;
}

export function register(program: Command): void {
  const cmd = program
    .command('compare')
    .description('train one run per output head x target transform (x model seed with --seeds) on one split, and compare them in degrees against the zero and mean predictors')
    .option('--video <file>', 'dashcam video (or image folder); repeat for a data set of several videos', collect)
    .option('--labels <file>', 'steering labels (CSV, Sully data.txt, Udacity driving_log.csv, Donkey tub); repeat, one after each --video (paired by order)', collect)
    .option('--config <file>', 'base run config (JSON: fields of src/train/config.ts plus an optional "data" section)')
    .option('--heads <list>', 'output heads: linear, tanh, scaled_tanh', 'linear,tanh')
    .option('--targets <list>', 'target transforms: raw, normalized, standardized', 'raw,normalized')
    .option('--max-frames <n>', 'use only the first N frames')
    .option('--workspace <dir>', 'where runs, experiments and the frame cache are stored', DEFAULT_WORKSPACE)
    .option('--name <name>', 'experiment name')
    .option('--seeds <n>', 'runs per cell with model seeds --seed, --seed+1, ... on one split; conclusions then account for seed-to-seed noise (default 1)')
    .option('--crop <T,B,L,R>', 'source pixels cut off the top, bottom, left and right before resizing (sky, bonnet)')
    .option('--reference', 'afterwards, train every run again in PyTorch (python3-torch) on the same frames and split, and print both side by side')
    .option('--python <path>', 'Python with torch for --reference (default: STEERLAB_PYTHON, python3, /usr/bin/python3)')
    .option('--json', 'print one JSON object on stdout (progress stays on stderr)');
  addLabelFlags(cmd).option('--offset-ms <ms>', 'milliseconds added to label times before matching');
  addTrainingOptions(cmd).action(async (o: CompareOptions) => {
    const file = o.config ? await readConfigFile(o.config) : { run: {} as RunConfigInput, data: {} };
    const pairs = await pairDataPaths(o, file.data);
    const heads = parseList(o.heads, 'heads', HEADS);
    const targets = parseList(o.targets, 'targets', TARGETS);
    const base = applyTrainingFlags({ ...file.run, name: o.name ?? file.run.name ?? 'compare' }, o);
    const maxFrames = parseIntOpt(o.maxFrames, 'max-frames', 2) ?? file.data.maxFrames;
    const { RunConfig } = await import('../../train/config.ts');
    const parsedBase = RunConfig.parse(base);
    const input = parsedBase.model.input;
    const seeds = seedList(o.seeds, parsedBase.seed);
    const { summary, report } = await runWithProgress({
      dataset: datasetFromPairs(pairs, {
        input: { width: input.width, height: input.height }, maxFrames,
        offsetMs: parseNumOpt(o.offsetMs, 'offset-ms') ?? file.data.offsetMs, maxGapMs: file.data.maxGapMs, crop: parseCrop(o.crop) ?? file.data.crop,
        labelOptions: { ...file.data.labelOptions, ...labelOptionsFromFlags(o) },
      }),
      base,
      axes: { 'model.head': heads, 'targets.kind': targets, ...(seeds && { seed: seeds }) },
      workspace: o.workspace,
      name: base.name,
    });
    // The PyTorch peer trains the same runs on the same frames and split once the lab is done (never after a cancel).
    const reference = o.reference && summary.status === 'completed' ? await referenceWithProgress(summary.dir, { python: o.python }) : null;
    if (o.json) process.stdout.write(JSON.stringify({ ...jsonResult(summary, report, report.comparison), ...(reference && { reference: referenceJson(reference) }) }) + '\n');
    else {
      printHuman(summary, report);
      if (reference) process.stdout.write(`\nPyTorch reference (same frames, split, epochs and optimiser):\n${await referenceText(reference)}\n`);
    }
  });
}
