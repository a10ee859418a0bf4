/**
 * Shared by `train`, `compare` and `demo` (the leading underscore keeps the
 * CLI registry from loading it as a sub-command): option parsing, progress
 * bars on stderr, Ctrl-C as cancellation, and the printed / JSON results.
 */
import type { Command } from 'commander';
import { UserError } from '../../errors.ts';
import type { RunConfigInput } from '../../train/config.ts';
import type { LabelOptions } from '../../data/types.ts';
import type { ExperimentEvent } from '../../experiments/events.ts';
import type { PublishedReport } from '../../experiments/publish.ts';
import type { ExperimentSummary } from '../../experiments/types.ts';
import type { DatasetSpec } from '../../video/types.ts';

/** Default workspace: `.steerlab/` in the current folder (runs/, experiments/, cache/, data/). */
export const DEFAULT_WORKSPACE = '.steerlab';

export function parseList(v: string, what: string, allowed: Record<string, string>): string[] {
  const out = v.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    const k = allowed[s.toLowerCase()];
    if (!k) throw new UserError(`unknown ${what} '${s}'; use ${[...new Set(Object.values(allowed))].join(', ')}`);
    return k;
  });
  if (out.length === 0) throw new UserError(`--${what} needs at least one value`);
  return [...new Set(out)];
}

export const HEADS = { linear: 'linear', tanh: 'tanh', scaled_tanh: 'scaled_tanh', 'scaled-tanh': 'scaled_tanh' };
export const TARGETS = {
  raw: 'raw', normalized: 'normalized', normalised: 'normalized', standardized: 'standardized', standardised: 'standardized',
};

/** `66x200` = height x width in pixels (PilotNet's order). */
export function parseInput(v: string): { height: number; width: number } {
  const m = /^(\d+)x(\d+)$/i.exec(v.trim());
  if (!m) throw new UserError(`--input expects HEIGHTxWIDTH in pixels, e.g. 66x200 (got '${v}')`);
  const height = Number(m[1]);
  const width = Number(m[2]);
  if (height < 8 || width < 8) throw new UserError(`--input ${v} is too small; each side needs at least 8 pixels`);
  return { height, width };
}

export function parseIntOpt(v: string | undefined, name: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UserError(`--${name} must be an integer >= ${min} (got '${v}')`);
  return n;
}

export function parseNumOpt(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UserError(`--${name} must be a positive number (got '${v}')`);
  return n;
}

export const ENGINES = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export function parseEngine(v: string | undefined): (typeof ENGINES)[number] | undefined {
  if (v === undefined) return undefined;
  if (!(ENGINES as readonly string[]).includes(v)) throw new UserError(`--engine must be one of ${ENGINES.join(', ')} (got '${v}')`);
  return v as (typeof ENGINES)[number];
}

/**
 * Ctrl-C cancels the experiment (the current run is recorded as cancelled);
 * a second Ctrl-C exits at once.
 */
export function cancelOnSigint(): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  const onSig = (): void => {
    if (ac.signal.aborted) process.exit(130);
    process.stderr.write('\nsteerlab: cancelling after the current step (Ctrl-C again to quit now)\n');
    ac.abort();
  };
  process.on('SIGINT', onSig);
  return { signal: ac.signal, dispose: () => process.off('SIGINT', onSig) };
}

const fmtS = (s: number | null): string => {
  if (s === null || !Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(0)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
};

/**
 * Progress on stderr: bars (decode, overall, current run with loss and ETA)
 * when stderr is a terminal, one line per epoch and per run otherwise.
 */
export async function createProgress(o: { quiet?: boolean } = {}): Promise<{ onEvent(e: ExperimentEvent): void; stop(): void }> {
  const tty = Boolean(process.stderr.isTTY) && !o.quiet;
  const log = (s: string): void => {
    if (!o.quiet) process.stderr.write(s + '\n');
  };
  if (!tty) {
    let epochs = 0;
    return {
      onEvent(e) {
        if (e.type === 'dataset-ready') {
          log(`data: ${e.dataset.samples} samples${e.dataset.videos ? ` from ${e.dataset.videos.length} videos` : ''} at ${e.dataset.input.width}x${e.dataset.input.height} (${e.dataset.trainSamples} train, ${e.dataset.valSamples} val in ${e.dataset.valBlocks.length} blocks)${e.cacheHit ? ', frame cache hit' : ''}; engine ${e.engine}`);
          for (const w of e.dataset.warnings) log(`warning: ${w}`);
        } else if (e.type === 'run-started') {
          epochs = e.config.epochs;
          log(`run ${e.index + 1}/${e.total}: ${e.name}`);
        } else if (e.type === 'run-event' && e.event.type === 'epoch') {
          const ev = e.event;
          log(`  epoch ${ev.epoch + 1}${epochs ? `/${epochs}` : ''}: train loss ${ev.trainLoss.toPrecision(4)}, val loss ${ev.valLoss.toPrecision(4)} (target units), val MAE ${ev.val.model.maeDeg.toFixed(2)}°, RMSE ${ev.val.model.rmseDeg.toFixed(2)}°, ${fmtS(ev.elapsedS)}`);
        } else if (e.type === 'run-finished') log(`  ${e.result.status} in ${fmtS(e.result.wallTimeS)}`);
      },
      stop() {},
    };
  }
  const { MultiBar, Presets } = (await import('cli-progress')).default;
  const { cellName } = await import('../../experiments/grid.ts');
  const bars = new MultiBar(
    { stream: process.stderr, hideCursor: true, clearOnComplete: false, format: '{label} |{bar}| {percentage}% | {info} | ETA {eta_formatted}', etaBuffer: 50, fps: 5 },
    Presets.shades_classic,
  );
  const overall = bars.create(1000, 0, { label: 'experiment'.padEnd(34), info: '' });
  let decode: ReturnType<typeof bars.create> | null = null;
  let run: ReturnType<typeof bars.create> | null = null;
  let runLabel = '';
  let epochs = 1;
  return {
    onEvent(e) {
      // A problem with the data (lost frames, labels covering part of the video) is said where the person looks.
      if (e.type === 'dataset-ready') for (const w of e.dataset.warnings) bars.log(`warning: ${w}\n`);
      if (e.type === 'dataset-progress') {
        if (!decode) decode = bars.create(e.total, 0, { label: 'decoding frames'.padEnd(34), info: '' });
        decode.setTotal(e.total);
        decode.update(e.done, { info: `${e.done}/${e.total} frames` });
      } else if (e.type === 'run-started') {
        epochs = e.config.epochs;
        // The grid cell names the run ('head=tanh targets=raw'); finished runs keep their bar as a record.
        runLabel = `${e.index + 1}/${e.total} ${cellName(e.cell) || e.name}`.slice(0, 34).padEnd(34);
        run = bars.create(1, 0, { label: runLabel, info: 'starting' });
      } else if (e.type === 'run-event' && run) {
        const ev = e.event;
        if (ev.type === 'step') {
          run.setTotal(Math.max(1, epochs * ev.stepsPerEpoch));
          run.update(ev.step + 1, { info: `epoch ${ev.epoch + 1}/${epochs} loss ${ev.loss.toPrecision(3)}` });
        } else if (ev.type === 'epoch') {
          bars.log(`${runLabel.trim()}: epoch ${ev.epoch + 1}: val MAE ${ev.val.model.maeDeg.toFixed(2)}°, RMSE ${ev.val.model.rmseDeg.toFixed(2)}° (zero predictor ${ev.val.zero.maeDeg.toFixed(2)}° / ${ev.val.zero.rmseDeg.toFixed(2)}°)\n`);
        }
      } else if (e.type === 'run-finished' && run) {
        run.update(run.getTotal(), { info: `${e.result.status}, ${fmtS(e.result.wallTimeS)}` });
      } else if (e.type === 'progress') {
        overall.update(Math.round(e.fraction * 1000), { info: `run ${Math.min(e.runsDone + 1, e.runsTotal)}/${e.runsTotal}` });
      }
    },
    stop() {
      bars.stop();
    },
  };
}

export { jsonResult } from './_json-result.ts';

/** `--crop TOP,BOTTOM,LEFT,RIGHT`: source pixels cut off each side before resizing. */
export function parseCrop(v: string | undefined): { top: number; bottom: number; left: number; right: number } | undefined {
  if (v === undefined) return undefined;
  const parts = v.split(',').map((x) => Number(x.trim()));
  if (parts.length !== 4 || parts.some((n) => !Number.isInteger(n) || n < 0)) {
    throw new UserError(`--crop expects TOP,BOTTOM,LEFT,RIGHT in source pixels, four whole numbers >= 0, e.g. 60,20,0,0 (got '${v}')`);
  }
  const [top, bottom, left, right] = parts;
  return { top, bottom, left, right };
}

/** `--seeds N` from `--seed S`: the model seeds S, S+1, ..., S+N-1 (one run per cell each). */
export function seedList(seeds: string | undefined, first: number): number[] | undefined {
  const n = parseIntOpt(seeds, 'seeds', 1);
  return n === undefined || n === 1 ? undefined : Array.from({ length: n }, (_, i) => first + i);
}

/** `--workers N|auto`: gradient worker threads per run (wasm engine). */
export function parseWorkers(v: string | undefined): number | 'auto' | undefined {
  if (v === undefined) return undefined;
  if (v.trim().toLowerCase() === 'auto') return 'auto';
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`--workers must be 'auto' or a whole number >= 1 (got '${v}'; 1 = train in this process)`);
  return n;
}

/**
 * The --workers value of the command being run: set by a preAction hook that
 * addTrainingOptions installs, so train, compare and demo all pass it to
 * runWithProgress without each repeating the plumbing.
 */
let workersFlag: number | 'auto' | undefined;

/** Runs the experiment with progress and Ctrl-C handling, then writes the comparison files and the HTML report. */
export async function runWithProgress(
  opts: Omit<import('../../experiments/runner.ts').RunExperimentOptions, 'signal' | 'onEvent'>,
): Promise<{ summary: ExperimentSummary; report: PublishedReport }> {
  const { runExperiment } = await import('../../experiments/runner.ts');
  const { publishReport } = await import('../../experiments/publish.ts');
  const cancel = cancelOnSigint();
  const progress = await createProgress();
  let summary: ExperimentSummary;
  // Say once per distinct decision how the runs train (and why), e.g. 'engine wasm x2 workers: 2 workers (auto: ...)'.
  const said = new Set<string>();
  const onWorkerPlan = (p: { engine: string; reason: string }): void => {
    const line = `engine ${p.engine}: ${p.reason}`;
    if (said.has(line)) return;
    said.add(line);
    process.stderr.write(line + '\n');
  };
  try {
    summary = await runExperiment({ workers: workersFlag, onWorkerPlan, ...opts, signal: cancel.signal, onEvent: progress.onEvent });
  } finally {
    progress.stop();
    cancel.dispose();
  }
  const report = publishReport(summary.dir);
  if (summary.status === 'cancelled') process.exitCode = 130;
  else if (summary.status === 'failed') process.exitCode = 1;
  return { summary, report };
}

/** Human output: the Markdown table with conclusions and findings, then where the files are. */
export function printHuman(summary: ExperimentSummary, report: PublishedReport): void {
  process.stdout.write(report.markdown + '\n');
  process.stdout.write(`experiment: ${summary.dir} (${summary.status}, ${fmtS(summary.wallTimeS)} on ${summary.engine ?? 'no engine'})\n`);
  process.stdout.write(`report:     ${report.paths.html}\n`);
  process.stdout.write(`tables:     ${report.paths.md}, ${report.paths.csv}, ${report.paths.json}\n`);
}

/** Data options a config file may carry under "data" (CLI flags override them). */
export interface DataSection {
  /** One video, or several (then `labels` lists one label file per video, in the same order). */
  video?: string | string[];
  labels?: string | string[];
  maxFrames?: number;
  offsetMs?: number;
  maxGapMs?: number;
  crop?: { top: number; bottom: number; left: number; right: number };
  labelOptions?: LabelOptions;
}

/**
 * Reads a run config file: the RunConfig fields (every one optional, see
 * src/train/config.ts) plus an optional "data" section. Unknown top-level
 * keys are an error, so a typo does not silently fall back to a default.
 */
export async function readConfigFile(path: string): Promise<{ run: RunConfigInput; data: DataSection }> {
  const { readFileSync, existsSync } = await import('node:fs');
  const { RunConfig } = await import('../../train/config.ts');
  if (!existsSync(path)) throw new UserError(`config file ${path} does not exist`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UserError(`config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new UserError(`config file ${path} must hold a JSON object`);
  const { data, ...run } = raw as Record<string, unknown>;
  const { describeConfigIssues } = await import('../../train/config-errors.ts');
  const parsed = RunConfig.safeParse(run);
  if (!parsed.success) throw new UserError(`config file ${path}: ${describeConfigIssues(RunConfig, parsed.error.issues)}`);
  const { DataSectionSchema } = await import('./_data-section.ts');
  const d = DataSectionSchema.safeParse(data ?? {});
  if (!d.success) throw new UserError(`config file ${path}: ${describeConfigIssues(DataSectionSchema, d.error.issues, ['data'])}`);
  return { run: run as RunConfigInput, data: d.data as DataSection };
}

/** Commander collector for repeatable options (`--video a --video b`). */
export function collect(v: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), v];
}

const asList = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/**
 * Pairs videos with label files by order (flags win over the config file's
 * "data" section, videos and labels each as a whole) and checks that every
 * path exists before anything slow starts. No labels at all is allowed (image
 * folders carry their own); otherwise the counts must match.
 */
export async function pairDataPaths(flags: { video?: string[]; labels?: string[] }, data: DataSection): Promise<{ video: string; labels?: string }[]> {
  const videos = flags.video?.length ? flags.video : asList(data.video);
  const labels = flags.labels?.length ? flags.labels : asList(data.labels);
  if (videos.length === 0) return [{ video: await checkDataPaths(undefined, undefined) }];
  if (labels.length > 0 && labels.length !== videos.length) {
    throw new UserError(
      `got ${videos.length} video(s) and ${labels.length} label file(s); they are paired by order, so give one --labels after each --video: --video a.mp4 --labels a.csv --video b.mp4 --labels b.csv`,
    );
  }
  const pairs = videos.map((video, i) => ({ video, labels: labels[i] }));
  for (const p of pairs) await checkDataPaths(p.video, p.labels);
  return pairs;
}

/**
 * The runner's data set from paired paths and the options every video
 * shares: one spec for one video (recorded exactly as before), else a list.
 */
export function datasetFromPairs(pairs: { video: string; labels?: string }[], common: Omit<DatasetSpec, 'source' | 'labels'>): DatasetSpec | DatasetSpec[] {
  const specs = pairs.map((p) => ({ source: p.video, labels: p.labels, ...common }));
  return specs.length === 1 ? specs[0] : specs;
}

/** Checks the data paths exist before anything slow starts. */
export async function checkDataPaths(video: string | undefined, labels: string | undefined): Promise<string> {
  const { existsSync } = await import('node:fs');
  if (!video) throw new UserError('no video given: use --video FILE (and --labels FILE), or `steerlab demo` for the built-in synthetic drive');
  if (!existsSync(video)) throw new UserError(`video ${video} does not exist`);
  if (labels && !existsSync(labels)) throw new UserError(`labels ${labels} do not exist`);
  return video;
}

/** Training flags shared by train, compare and demo. */
export interface TrainingFlags extends Record<string, unknown> {
  offsetMs?: string;
  epochs?: string;
  input?: string;
  seed?: string;
  engine?: string;
  batchSize?: string;
  lr?: string;
  stepsPerEpoch?: string;
  targetFullScale?: string;
  workers?: string;
  splitSeed?: string;
}

export function addTrainingOptions(cmd: Command): Command {
  cmd.hook('preAction', (_cmd, action) => {
    workersFlag = parseWorkers(action.opts<TrainingFlags>().workers);
  });
  return cmd
    .option('--workers <n|auto>', 'gradient worker threads per run on the wasm engine: a number (1 = in-process) or auto (default: workers where they are measured to gain)')
    .option('--epochs <n>', 'epochs per run')
    .option('--input <HxW>', 'model input height x width in pixels, e.g. 66x200')
    .option('--seed <n>', 'model seed: initialisation, shuffling, augmentation (the split has its own, --split-seed)')
    .option('--split-seed <n>', 'seed of the validation blocks\' positions (default 1; the same for every run and seed)')
    .option('--engine <name>', 'auto | tensorflow-gpu | tensorflow | wasm | cpu')
    .option('--batch-size <n>', 'samples per step')
    .option('--lr <x>', 'learning rate')
    .option('--steps-per-epoch <n>', 'cap on steps per epoch (0 = full epoch)')
    .option('--target-full-scale <deg>', 'degrees that a normalised target of 1.0 means (default: max |angle| of the training split)');
}

/** The base config with the flags applied on top (flags win over the config file). */
export function applyTrainingFlags(base: RunConfigInput, o: TrainingFlags): RunConfigInput {
  const epochs = parseIntOpt(o.epochs, 'epochs', 1);
  const seed = parseIntOpt(o.seed, 'seed', 0);
  const splitSeed = parseIntOpt(o.splitSeed, 'split-seed', 0);
  const engine = parseEngine(o.engine);
  const batchSize = parseIntOpt(o.batchSize, 'batch-size', 1);
  const lr = parseNumOpt(o.lr, 'lr');
  const steps = parseIntOpt(o.stepsPerEpoch, 'steps-per-epoch', 0);
  const fullScale = parseNumOpt(o.targetFullScale, 'target-full-scale');
  const input = o.input ? parseInput(o.input) : undefined;
  return {
    ...base,
    ...(epochs !== undefined && { epochs }),
    ...(seed !== undefined && { seed }),
    ...(engine !== undefined && { engine }),
    ...(batchSize !== undefined && { batchSize }),
    ...(steps !== undefined && { maxStepsPerEpoch: steps }),
    model: { ...base.model, ...(input && { input: { ...base.model?.input, ...input } }) },
    optimizer: { ...base.optimizer, ...(lr !== undefined && { learningRate: lr }) },
    split: { ...base.split, ...(splitSeed !== undefined && { seed: splitSeed }) },
    targets: { ...base.targets, ...(fullScale !== undefined && { fullScaleDeg: fullScale }) },
  };
}
