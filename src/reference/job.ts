/**
 * The job file src/reference/reference.py reads: pure builders from a lab
 * run's config, split and target transform to plain JSON (no fs, no clock).
 *
 * Format (version 1):
 *   { version: 1, mode: 'train' | 'probe', resultPath, threads?,
 *     datasets: [{ framesPath, height, width, channels: 3, records,
 *                  trainPositions, trainAnglesDeg, valPositions, valAnglesDeg }],
 *     runs: [JobRun], probes?: [ProbeSpec], forwardChecks?: [ForwardCheck] }
 * A frames file holds `records` uint8 frames, height x width x 3 (NHWC),
 * one record per sample used; positions index records. Angles are
 * steering-wheel degrees, null for a dropped frame (NaN in the lab).
 */
import type { TargetTransformFile } from '../experiments/store.ts';
import { targetTransformFile } from '../experiments/store.ts';
import type { ModelConfig } from '../model/config.ts';
import { planModel } from '../model/plan.ts';
import type { AugmentConfig, OptimizerConfig, RunConfig } from '../train/config.ts';
import { createTargetTransform } from '../targets/transform.ts';

export const JOB_VERSION = 1;

export interface JobConv {
  kind: 'conv';
  name: string;
  kernel: number;
  stride: number;
  /** Zero padding [top, bottom, left, right] in pixels: TensorFlow's 'same' puts the odd pixel at the bottom/right. */
  pad: [number, number, number, number];
  inC: number;
  outC: number;
  inH: number;
  inW: number;
  outH: number;
  outW: number;
  activation: string;
}
export interface JobDense {
  kind: 'dense';
  name: string;
  inUnits: number;
  outUnits: number;
  activation: string;
}
export interface JobHead {
  name: string;
  head: string;
  inUnits: number;
  /** Trunk layer feeding an auxiliary head. */
  after?: string;
  lossWeight: number;
}
export interface JobModel {
  trunk: (JobConv | JobDense)[];
  head: JobHead;
  aux: JobHead[];
  /** k of a scaled_tanh head (k * tanh). */
  headScale: number;
  batchnorm: boolean;
  dropout: number;
}
/** degrees = scale * output + offset; kind and params as the lab saved them. */
export interface JobTransform {
  kind: string;
  params: Record<string, number>;
  scale: number;
  offset: number;
}
export interface JobDataset {
  framesPath: string;
  height: number;
  width: number;
  channels: 3;
  records: number;
  trainPositions: number[];
  trainAnglesDeg: (number | null)[];
  valPositions: number[];
  valAnglesDeg: (number | null)[];
}
export interface JobRun {
  runId: string;
  /** Index into job.datasets. */
  dataset: number;
  seed: number;
  epochs: number;
  batchSize: number;
  maxStepsPerEpoch: number;
  model: JobModel;
  /** 'centered': pixels in [0, 1] become 2x - 1 after augmentation; 'unit': as they are. */
  inputNorm: 'centered' | 'unit';
  transform: JobTransform;
  optimizer: OptimizerConfig;
  l2: number;
  augment: AugmentConfig;
  validateEveryEpoch: boolean;
  /** Test hooks: headConst sets the main head's kernel to 0 and its bias to this value. */
  debug?: { headConst?: number };
}
/** Augment these training records with this config and return the model inputs (see augment-check.ts). */
export interface ProbeSpec {
  dataset: number;
  positions: number[];
  anglesDeg: number[];
  seed: number;
  augment: AugmentConfig;
  inputNorm: 'centered' | 'unit';
  outPath: string;
}
/** Run `run`'s network with the lab's exported weights on these validation records. */
export interface ForwardCheck {
  run: number;
  /** Which validation samples (indices into the run's validation list) ... */
  valIndex: number[];
  /** ... and their records in the frames file. */
  positions: number[];
  weightsPath: string;
  manifest: { name: string; shape: number[]; dtype?: string }[];
}
export interface ReferenceJob {
  version: typeof JOB_VERSION;
  mode: 'train' | 'probe';
  resultPath: string;
  threads?: number;
  datasets: JobDataset[];
  runs: JobRun[];
  probes?: ProbeSpec[];
  forwardChecks?: ForwardCheck[];
}

/** TensorFlow 'same' padding of one axis: output ceil(in / stride), the extra pixel after (bottom/right). */
export function samePad(inSize: number, kernel: number, stride: number): [number, number] {
  const out = Math.ceil(inSize / stride);
  const total = Math.max(0, (out - 1) * stride + kernel - inSize);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** The layer plan of src/model/plan.ts with explicit pixel padding. */
export function jobModel(cfg: ModelConfig): JobModel {
  const plan = planModel(cfg);
  const trunk = plan.trunk.map((l): JobConv | JobDense => {
    if (l.kind === 'dense') return { kind: 'dense', name: l.name, inUnits: l.inUnits, outUnits: l.outUnits, activation: l.activation };
    const [top, bottom] = l.padding === 'same' ? samePad(l.inH, l.kernel, l.stride) : [0, 0];
    const [left, right] = l.padding === 'same' ? samePad(l.inW, l.kernel, l.stride) : [0, 0];
    return {
      kind: 'conv', name: l.name, kernel: l.kernel, stride: l.stride, pad: [top, bottom, left, right],
      inC: l.inC, outC: l.outC, inH: l.inH, inW: l.inW, outH: l.outH, outW: l.outW, activation: l.activation,
    };
  });
  const head = (h: typeof plan.head): JobHead => ({ name: h.name, head: h.head, inUnits: h.inUnits, lossWeight: h.lossWeight, ...(h.after ? { after: h.after } : {}) });
  return { trunk, head: head(plan.head), aux: plan.aux.map(head), headScale: cfg.headScale, batchnorm: cfg.batchnorm, dropout: cfg.dropout };
}

/**
 * The input normalisation the lab's model applies: pilotnet centres pixels
 * unless model.inputNorm says 'unit' (a config from before the field
 * existed reads as 'centered'); an mlp takes its features as given.
 */
export function inputNormOf(cfg: ModelConfig): 'centered' | 'unit' {
  if (cfg.arch !== 'pilotnet') return 'unit';
  return (cfg as { inputNorm?: 'centered' | 'unit' }).inputNorm ?? 'centered';
}

/**
 * The run's target transform, fitted on its training angles exactly as the
 * trainer does. When the run saved model/target-transform.json, the two must
 * agree (else the split or the angles differ from the lab's): `savedPath`
 * names that file in the error.
 */
export function jobTransform(targets: RunConfig['targets'], trainAnglesDeg: ArrayLike<number>, saved: TargetTransformFile | null, savedPath: string): JobTransform {
  const file = targetTransformFile(createTargetTransform(targets, trainAnglesDeg));
  if (saved) {
    const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
    if (saved.kind !== file.kind || !close(saved.degrees.scale, file.degrees.scale) || !close(saved.degrees.offset, file.degrees.offset)) {
      throw new Error(
        `${savedPath} says ${saved.formula} (${saved.kind}) but the training split rebuilt here gives ${file.formula} (${file.kind}); ` +
          'the data set or the split is not the one the lab trained on (were the video, labels or crop changed since?)',
      );
    }
  }
  return { kind: file.kind, params: file.params, scale: file.degrees.scale, offset: file.degrees.offset };
}

/** Angles for JSON: NaN (a dropped frame) becomes null. */
export function jsonAngles(a: ArrayLike<number>): (number | null)[] {
  return Array.from(a, (v) => (Number.isFinite(v) ? v : null));
}

/** The job entry of one lab run (everything but its data set, which runs share). */
export function jobRun(runId: string, cfg: RunConfig, dataset: number, transform: JobTransform): JobRun {
  return {
    runId, dataset, seed: cfg.seed, epochs: cfg.epochs, batchSize: cfg.batchSize, maxStepsPerEpoch: cfg.maxStepsPerEpoch,
    model: jobModel(cfg.model), inputNorm: inputNormOf(cfg.model), transform, optimizer: cfg.optimizer, l2: cfg.model.l2,
    augment: cfg.augment, validateEveryEpoch: true,
  };
}

/** The records of a frames file: every sample any split uses, ascending (so the dump reads the frame cache in order). */
export function recordSamples(sampleLists: ArrayLike<number>[]): Int32Array {
  const all = new Set<number>();
  for (const l of sampleLists) for (let i = 0; i < l.length; i++) all.add(l[i]);
  return Int32Array.from([...all].sort((a, b) => a - b));
}

/** Position of each sample in `records` (ascending); throws when one is missing. */
export function positionsOf(records: Int32Array, samples: ArrayLike<number>): number[] {
  return Array.from(samples, (s) => {
    let lo = 0;
    let hi = records.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (records[mid] === s) return mid;
      if (records[mid] < s) lo = mid + 1;
      else hi = mid - 1;
    }
    throw new Error(`sample ${s} is not in the frames file`);
  });
}

/** A data set entry: positions of the split's samples in the frames file, and their angles (degrees). */
export function jobDataset(
  frames: { path: string; height: number; width: number; records: Int32Array },
  split: { trainIndices: ArrayLike<number>; valIndices: ArrayLike<number> },
  anglesDeg: ArrayLike<number>,
): JobDataset {
  const pick = (idx: ArrayLike<number>) => jsonAngles(Array.from(idx, (i) => anglesDeg[i]));
  return {
    framesPath: frames.path, height: frames.height, width: frames.width, channels: 3, records: frames.records.length,
    trainPositions: positionsOf(frames.records, split.trainIndices), trainAnglesDeg: pick(split.trainIndices),
    valPositions: positionsOf(frames.records, split.valIndices), valAnglesDeg: pick(split.valIndices),
  };
}
