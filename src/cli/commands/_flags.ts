/**
 * Flag parsing shared by train, compare and demo (the leading underscore
 * keeps the CLI registry from loading it as a sub-command): lists, sizes,
 * numbers, engines, crops, seeds, workers, and the training flags laid over
 * a base config. Every bad value is a one-line UserError naming the flag.
 */
import type { Command } from 'commander';
import { UserError } from '../../errors.ts';
import { ENGINE_NAMES } from '../../engine/names.ts';
import type { WorkersOption } from '../../engine/workers.ts';
import type { RunConfigInput } from '../../train/config.ts';

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

/** What `--engine` accepts: auto, then the engines best first (engine/names.ts). */
export const ENGINES = ['auto', ...ENGINE_NAMES] as const;
export function parseEngine(v: string | undefined): (typeof ENGINES)[number] | undefined {
  if (v === undefined) return undefined;
  if (!(ENGINES as readonly string[]).includes(v)) throw new UserError(`--engine must be one of ${ENGINES.join(', ')} (got '${v}')`);
  return v as (typeof ENGINES)[number];
}

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
export function parseWorkers(v: string | undefined): WorkersOption | undefined {
  if (v === undefined) return undefined;
  if (v.trim().toLowerCase() === 'auto') return 'auto';
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`--workers must be 'auto' or a whole number >= 1 (got '${v}'; 1 = train in this process)`);
  return n;
}

/** Commander collector for repeatable options (`--video a --video b`). */
export function collect(v: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), v];
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

/** Adds the training flags; a bad --workers fails before the action runs (nothing slow has started then). */
export function addTrainingOptions(cmd: Command): Command {
  cmd.hook('preAction', (_cmd, action) => {
    parseWorkers(action.opts<TrainingFlags>().workers);
  });
  return cmd
    .option('--workers <n|auto>', 'gradient worker threads per run on the wasm engine: a number (1 = in-process) or auto (default: workers where they are measured to gain)')
    .option('--epochs <n>', 'epochs per run')
    .option('--input <HxW>', 'model input height x width in pixels, e.g. 66x200')
    .option('--seed <n>', 'model seed: initialisation, shuffling, augmentation (the split has its own, --split-seed)')
    .option('--split-seed <n>', 'seed of the validation blocks\' positions (default 1; the same for every run and seed)')
    .option('--engine <name>', ENGINES.join(' | '))
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
