/**
 * `steerlab compare --video V --labels L [--heads linear,tanh] [--targets raw,normalized] ...`:
 * trains one run per (head, targets) pair, and per model seed with --seeds, on one split, prints
 * the comparison table with the zero and mean predictors, and writes the
 * HTML report. With --json, stdout is one JSON object.
 */
import type { Command } from 'commander';
import { UserError } from '../../errors.ts';
import { redisOptions } from '../../lab/queue/connection.ts';
import { addAutonomyFlags, applyAutonomyFlags } from '../autonomy-flags.ts';
import { addLabelFlags, labelOptionsFromFlags } from '../label-flags.ts';
import type { RunConfigInput } from '../../train/config.ts';
import { datasetFromPairs, pairDataPaths, readConfigFile } from './_config.ts';
import { addWorkspaceOption, jsonResult, printHuman, resumeWithProgress, runWithProgress } from './_experiment.ts';
import {
  addTrainingOptions, applyTrainingFlags, collect, HEADS, parseCrop, parseIntOpt, parseList, parseNumOpt, parseWorkers, seedList, TARGETS, type TrainingFlags,
} from './_flags.ts';
import { referenceJson, referenceText, referenceWithProgress } from './reference.ts';
import type { PublishedReport } from '../../experiments/publish.ts';
import type { ExperimentSummary } from '../../experiments/types.ts';

interface CompareOptions extends TrainingFlags {
  video?: string[];
  labels?: string[];
  config?: string;
  heads: string;
  targets: string;
  maxFrames?: string;
  allowFrameGaps?: boolean;
  workspace?: string;
  resume?: string;
  name?: string;
  json?: boolean;
  queue?: string;
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
    .option('--allow-frame-gaps', 'when frames are lost mid-file and their times cannot say which, still match frame-index or image labels by decode order (later labels may shift)')
    .option('--name <name>', 'experiment name')
    .option('--resume <experiment>', 'finish an interrupted comparison (an experiments/<id> folder, or its id in the workspace): the cells without a result run, from their last checkpoint where they have one; then the comparison is written')
    .option('--seeds <n>', 'runs per cell with model seeds --seed, --seed+1, ... on one split; conclusions then account for seed-to-seed noise (default 1)')
    .option('--crop <T,B,L,R>', 'source pixels cut off the top, bottom, left and right before resizing (sky, bonnet)')
    .option('--reference', 'afterwards, train every run again in PyTorch (python3-torch) on the same frames and split, and print both side by side')
    .option('--python <path>', 'Python with torch for --reference (default: STEERLAB_PYTHON, python3, /usr/bin/python3)')
    .option('--queue <url>', 'train the cells on `steerlab worker` processes through Redis (redis://HOST:PORT, rediss:// for TLS) instead of here')
    .option('--json', 'print one JSON object on stdout (progress stays on stderr)');
  addWorkspaceOption(cmd);
  addAutonomyFlags(cmd);
  addLabelFlags(cmd).option('--offset-ms <ms>', 'milliseconds added to label times before matching');
  addTrainingOptions(cmd).action(async (o: CompareOptions) => {
    if (o.resume && o.queue) throw new UserError('--resume finishes the cells in this process; drop --queue (a queued experiment resumes its cells on the workers by itself)');
    if (o.resume) return resume(o.resume, o);
    const file = o.config ? await readConfigFile(o.config) : { run: {} as RunConfigInput, data: {} };
    const pairs = await pairDataPaths(o, file.data);
    const heads = parseList(o.heads, 'heads', HEADS);
    const targets = parseList(o.targets, 'targets', TARGETS);
    const base = applyAutonomyFlags(applyTrainingFlags({ ...file.run, name: o.name ?? file.run.name ?? 'compare' }, o), o);
    const maxFrames = parseIntOpt(o.maxFrames, 'max-frames', 2) ?? file.data.maxFrames;
    const { RunConfig } = await import('../../train/config.ts');
    const parsedBase = RunConfig.parse(base);
    const input = parsedBase.model.input;
    const seeds = seedList(o.seeds, parsedBase.seed);
    const { summary, report } = await runWithProgress({
      dataset: datasetFromPairs(pairs, {
        input: { width: input.width, height: input.height }, maxFrames,
        offsetMs: parseNumOpt(o.offsetMs, 'offset-ms') ?? file.data.offsetMs, maxGapMs: file.data.maxGapMs, crop: parseCrop(o.crop) ?? file.data.crop,
        allowFrameGaps: o.allowFrameGaps ?? file.data.allowFrameGaps,
        labelOptions: { ...file.data.labelOptions, ...labelOptionsFromFlags(o) },
      }),
      base,
      axes: { 'model.head': heads, 'targets.kind': targets, ...(seeds && { seed: seeds }) },
      workspace: o.workspace,
      name: base.name,
      workers: parseWorkers(o.workers),
      queue: o.queue && (redisOptions(o.queue), o.queue), // a bad URL fails here, before anything is written
    });
    await print(summary, report, o);
  });
}

/** Prints the comparison (with the PyTorch peer's, when asked and the experiment completed). */
async function print(summary: ExperimentSummary, report: PublishedReport, o: CompareOptions): Promise<void> {
  // The PyTorch peer trains the same runs on the same frames and split once the lab is done (never after a cancel).
  const reference = o.reference && summary.status === 'completed' ? await referenceWithProgress(summary.dir, { python: o.python }) : null;
  if (o.json) process.stdout.write(JSON.stringify({ ...jsonResult(summary, report, report.comparison), ...(reference && { reference: referenceJson(reference) }) }) + '\n');
  else {
    printHuman(summary, report);
    if (reference) process.stdout.write(`\nPyTorch reference (same frames, split, epochs and optimiser):\n${await referenceText(reference)}\n`);
  }
}

/** `--resume`: the experiment's own grid, data set and seeds; only the cells without a result train. */
async function resume(dirOrId: string, o: CompareOptions): Promise<void> {
  const { summary, report, resumed } = await resumeWithProgress(dirOrId, { workspace: o.workspace, workers: parseWorkers(o.workers) });
  if (resumed === 0) process.stderr.write(`every cell of ${summary.dir} already has a result; the comparison is written again\n`);
  await print(summary, report, o);
}
